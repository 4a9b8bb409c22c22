import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { uuidv7 } from '../../engine/shared/uuid.ts'

export interface SeedCounts {
  readonly users: number
  readonly workspaces: number
  readonly projects: number
  readonly tasks: number
}

export const DEFAULT_COUNTS: SeedCounts = { users: 50, workspaces: 10, projects: 100, tasks: 100_000 }

/** The seeded database and the files of its ids, one per line, for the wrk Lua script. */
export interface SeedFiles {
  readonly db: string
  readonly taskIds: string
  readonly projectIds: string
  readonly userIds: string
}

const STATUSES = ['todo', 'doing', 'done'] as const

/** A small seeded PRNG (mulberry32): every run seeds the same statuses, bodies and owners. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A SQLite file (`dir`/bench.db) with the reference app's schema (its migrations, applied by the
 * engine's runner) and `counts.tasks` tasks spread over projects, workspaces and users, written
 * in one transaction. Ids are UUIDv7 of the rows' creation times, as the API makes them. The ids
 * of the tasks, projects and users go to text files next to it, one per line, for the Lua script.
 */
export function seedDatabase(dir: string, repo: string, counts: SeedCounts = DEFAULT_COUNTS): SeedFiles {
  const file = path.join(dir, 'bench.db')
  const db = openDatabase(file)
  try {
    applyMigrations(db, readMigrations(repo).migrations)
    const rand = random(42)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
    // Rows were created over the last `tasks` minutes, one a minute, oldest first.
    const start = Date.now() - counts.tasks * 60_000
    const at = (i: number) => new Date(start + i * 60_000)

    const insertUser = db.prepare('INSERT INTO "users" ("id", "email", "displayName", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)')
    const insertWorkspace = db.prepare('INSERT INTO "workspaces" ("id", "name", "slug", "ownerId", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)')
    const insertProject = db.prepare('INSERT INTO "projects" ("id", "workspaceId", "name", "description", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)')
    const insertTask = db.prepare(
      'INSERT INTO "tasks" ("id", "projectId", "title", "body", "status", "priority", "dueAt", "assigneeId", "createdBy", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )

    const userIds: string[] = []
    const projectIds: string[] = []
    const taskIds: string[] = []
    db.transaction(() => {
      const early = at(0)
      const stamp = early.toISOString()
      for (let i = 0; i < counts.users; i++) {
        const id = uuidv7(early.getTime())
        insertUser.run(id, `user${i}@bench.test`, `User ${i}`, stamp, stamp)
        userIds.push(id)
      }
      const workspaceIds: string[] = []
      for (let i = 0; i < counts.workspaces; i++) {
        const id = uuidv7(early.getTime())
        insertWorkspace.run(id, `Workspace ${i}`, `workspace-${i}`, pick(userIds), stamp, stamp)
        workspaceIds.push(id)
      }
      for (let i = 0; i < counts.projects; i++) {
        const id = uuidv7(early.getTime())
        insertProject.run(id, workspaceIds[i % workspaceIds.length]!, `Project ${i}`, i % 3 === 0 ? null : `What project ${i} is about.`, stamp, stamp)
        projectIds.push(id)
      }
      for (let i = 0; i < counts.tasks; i++) {
        const created = at(i)
        const id = uuidv7(created.getTime())
        const createdAt = created.toISOString()
        const body = rand() < 0.3 ? null : `Task ${i}: ${'details of the work to do, '.repeat(1 + Math.floor(rand() * 6))}`.trim()
        const dueAt = rand() < 0.5 ? null : new Date(created.getTime() + Math.floor(rand() * 30) * 86_400_000).toISOString()
        const assignee = rand() < 0.2 ? null : pick(userIds)
        insertTask.run(id, pick(projectIds), `Task ${i}`, body, pick(STATUSES), Math.floor(rand() * 4), dueAt, assignee, pick(userIds), createdAt, createdAt)
        taskIds.push(id)
      }
    })()
    // No ANALYZE: a freshly migrated app has no statistics either.
    db.pragma('wal_checkpoint(TRUNCATE)')
    const files: SeedFiles = {
      db: file,
      taskIds: path.join(dir, 'task-ids.txt'),
      projectIds: path.join(dir, 'project-ids.txt'),
      userIds: path.join(dir, 'user-ids.txt'),
    }
    writeFileSync(files.taskIds, taskIds.join('\n') + '\n')
    writeFileSync(files.projectIds, projectIds.join('\n') + '\n')
    writeFileSync(files.userIds, userIds.join('\n') + '\n')
    return files
  } finally {
    db.close()
  }
}
