import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { uuidv7 } from '../../engine/shared/uuid.ts'

/** The ids the wrk script picks from, one per line, next to the database. */
export interface SeedFiles {
  /** Published posts: both servers answer 200 for these. */
  readonly publishedIds: string
  readonly userIds: string
}

/** A small seeded PRNG (mulberry32): every run seeds the same authors and flags. */
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
 * Adds `otherUsers` users (beside the owner, who signed up through /auth) and `posts` posts to a
 * database `koyalite start` has already migrated, in one transaction; about half the posts are
 * published. Rows were created one a minute, oldest first, with UUIDv7 ids of that time.
 */
export function seedPosts(db: string, dir: string, ownerId: string, counts = { otherUsers: 49, posts: 100_000 }): SeedFiles {
  const userIds = [ownerId]
  const publishedIds: string[] = []
  const conn = openDatabase(db)
  try {
    const rand = random(21)
    const start = Date.now() - counts.posts * 60_000
    const insertUser = conn.prepare('INSERT INTO "users" ("id", "email", "displayName", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)')
    const insertPost = conn.prepare('INSERT INTO "posts" ("id", "authorId", "title", "body", "published", "createdAt") VALUES (?, ?, ?, ?, ?, ?)')
    conn.transaction(() => {
      const stamp = new Date(start).toISOString()
      for (let i = 0; i < counts.otherUsers; i++) {
        const id = uuidv7(start)
        insertUser.run(id, `author${i}@bench.test`, `Author ${i}`, stamp, stamp)
        userIds.push(id)
      }
      for (let i = 0; i < counts.posts; i++) {
        const created = start + i * 60_000
        const id = uuidv7(created)
        const published = rand() < 0.5 ? 1 : 0
        const body = `Post ${i}: ${'a few words about the topic, '.repeat(1 + Math.floor(rand() * 8))}`.trim()
        insertPost.run(id, userIds[Math.floor(rand() * userIds.length)]!, `Post ${i}`, body, published, new Date(created).toISOString())
        if (published === 1) publishedIds.push(id)
      }
    })()
    // No ANALYZE: a freshly migrated app has no statistics either.
    conn.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    conn.close()
  }
  const files = { publishedIds: path.join(dir, 'published-ids.txt'), userIds: path.join(dir, 'user-ids.txt') }
  writeFileSync(files.publishedIds, publishedIds.join('\n') + '\n')
  writeFileSync(files.userIds, userIds.join('\n') + '\n')
  return files
}
