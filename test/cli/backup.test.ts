import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreBackup } from '../../engine/runtime/backup/restore.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

// The reference app's migrations (generated/ at the repository root) on scratch databases.
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-backup-test-'))
const live = path.join(work, 'live.db')

/** Every row of every table, keyed by table, in a stable order. */
function dump(file: string): Record<string, unknown[]> {
  const db = openDatabase(file, { readonly: true })
  try {
    const tables = db.prepare(`SELECT "name" FROM "sqlite_schema" WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite%' ORDER BY "name"`).pluck().all() as string[]
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1`).all()]))
  } finally {
    db.close()
  }
}

/** A process that inserts numbered rows, one small transaction each, until it is stopped. */
function startWriter(file: string): ChildProcess {
  const script = `
    const Database = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'better-sqlite3'))});
    const db = new Database(${JSON.stringify(file)}); db.pragma('journal_mode = WAL'); db.pragma('busy_timeout = 5000');
    const insert = db.prepare('INSERT INTO "load_rows" ("n", "v") VALUES (?, ?)');
    let n = 0; process.stdout.write('ready\\n');
    const tick = () => { for (let i = 0; i < 50; i++) { n++; insert.run(n, 'row ' + n + ' ' + 'x'.repeat(n % 200)); } setImmediate(tick); };
    tick();`
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

beforeAll(async () => {
  const up = await runCli(repoRoot, ['migrate', 'up', '--db', live])
  expect(up.code, up.err).toBe(0)
  const db: SqliteDatabase = openDatabase(live)
  db.exec('CREATE TABLE "load_rows" ("n" INTEGER PRIMARY KEY, "v" TEXT NOT NULL)')
  db.prepare(`INSERT INTO "users" ("id", "email", "emailVerified", "displayName", "createdAt", "updatedAt") VALUES (?, ?, 1, ?, ?, ?)`).run('01000000-0000-7000-8000-000000000001', 'ada@example.com', 'Ada', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
  db.close()
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('koyalite backup and restore', () => {
  it('backs up while another process writes, and the restore is one consistent instant of it', async () => {
    const writer = startWriter(live)
    await new Promise((resolve) => writer.stdout!.once('data', resolve))
    await new Promise((resolve) => setTimeout(resolve, 300)) // rows are being written
    const out = path.join(work, 'under-load.tar.gz')
    let backup
    try {
      backup = await runCli(repoRoot, ['backup', '--db', live, '--out', out])
    } finally {
      await stop(writer)
    }
    expect(backup.code, backup.err).toBe(0)
    expect(backup.out).toMatch(/integrity ok/)

    const restored = path.join(work, 'restored.db')
    const restore = await runCli(repoRoot, ['restore', out, '--db', restored])
    expect(restore.code, restore.err).toBe(0)
    const got = dump(restored)
    const now = dump(live)
    // A consistent snapshot holds rows 1..k of the writer's sequence, no gap, each as written.
    const rows = got.load_rows as { n: number; v: string }[]
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.map((r) => r.n)).toEqual(rows.map((_, i) => i + 1))
    expect(rows).toEqual((now.load_rows as unknown[]).slice(0, rows.length))
    expect((now.load_rows as unknown[]).length).toBeGreaterThan(rows.length) // the writer went on after the snapshot
    // Every other table, which nothing wrote during the backup, is equal row for row. The CLI's
    // command history is written after each command (the backup's entry after its snapshot, the
    // restore's into the restored file), so it differs by design.
    for (const table of Object.keys(now).filter((t) => t !== 'load_rows' && t !== '_koya_cli_history')) expect(got[table], table).toEqual(now[table])
    expect(Object.keys(got).sort()).toEqual(Object.keys(now).sort())
  }, 60_000)

  it('refuses a corrupted archive and one whose database does not match its manifest, changing nothing', async () => {
    const good = path.join(work, 'good.tar.gz')
    expect((await runCli(repoRoot, ['backup', '--db', live, '--out', good])).code).toBe(0)

    const flipped = path.join(work, 'flipped.tar.gz')
    const bytes = readFileSync(good)
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff
    writeFileSync(flipped, bytes)
    const target = path.join(work, 'never.db')
    const refused = await runCli(repoRoot, ['restore', flipped, '--db', target])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_BACKUP_CORRUPT')
    expect(existsSync(target)).toBe(false)

    // A well-formed archive whose database was altered after the manifest was written.
    const unpacked = mkdtempSync(path.join(work, 'unpacked-'))
    await tar.extract({ file: good, cwd: unpacked })
    const db = openDatabase(path.join(unpacked, 'koya.db'))
    db.prepare('DELETE FROM "load_rows" WHERE "n" = 1').run()
    db.pragma('journal_mode = DELETE')
    db.close()
    const altered = path.join(work, 'altered.tar.gz')
    await tar.create({ gzip: true, file: altered, cwd: unpacked }, ['manifest.json', 'koya.db'])
    const mismatch = await runCli(repoRoot, ['restore', altered, '--db', target])
    expect(mismatch.code).toBe(1)
    expect(mismatch.err).toMatch(/KL_BACKUP_CORRUPT.*does not match its manifest/)
    expect(existsSync(target)).toBe(false)
    expect(readdirSync(work).filter((f) => f.startsWith('.koya-restore-') || f.endsWith('.restoring'))).toEqual([])
  }, 30_000)

  it('replaces an existing database only with --force, keeping it beside, and never one a process holds open', async () => {
    const archive = path.join(work, 'for-force.tar.gz')
    expect((await runCli(repoRoot, ['backup', '--db', live, '--out', archive])).code).toBe(0)
    const target = path.join(work, 'existing.db')
    const existing = openDatabase(target)
    existing.exec('CREATE TABLE "mine" ("v" TEXT); INSERT INTO "mine" VALUES (\'kept\')')
    const refused = await runCli(repoRoot, ['restore', archive, '--db', target])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_BACKUP_TARGET_EXISTS')
    // `--to` names the target as `--db` does (the spelling); both, differing, is a usage error.
    const refusedTo = await runCli(repoRoot, ['restore', archive, '--to', target])
    expect(refusedTo.err).toContain('KL_BACKUP_TARGET_EXISTS')
    const both = await runCli(repoRoot, ['restore', archive, '--to', target, '--db', `${target}.other`])
    expect(both.err).toContain('KL_CLI_USAGE')

    // Another process with the file open: refused even with --force.
    const holder = spawn(process.execPath, ['-e', `const D = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'better-sqlite3'))}); const db = new D(${JSON.stringify(target)}); db.prepare('SELECT 1').get(); process.stdout.write('open\\n'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise((resolve) => holder.stdout!.once('data', resolve))
    try {
      const live = await runCli(repoRoot, ['restore', archive, '--db', target, '--force'])
      expect(live.code).toBe(1)
      expect(live.err).toContain('KL_BACKUP_LIVE')
      expect(live.err).toContain(String(holder.pid))
    } finally {
      await stop(holder)
    }

    existing.close() // the last connection: its WAL is checkpointed into the file
    const forced = await runCli(repoRoot, ['restore', archive, '--db', target, '--force'])
    expect(forced.code, forced.err).toBe(0)
    const kept = readdirSync(work).find((f) => f.startsWith('existing.db.pre-restore-'))
    expect(kept).toBeDefined()
    expect(dump(path.join(work, kept!)).mine).toEqual([{ v: 'kept' }])
    expect(dump(target).mine).toBeUndefined()
    expect(dump(target).users).toEqual(dump(live).users)
  }, 30_000)

  it('never replaces a database held open by another process when the path given goes through a symlink', async () => {
    // Review: /proc's fd links name the real path; a --db through a symlinked directory (a volume
    // mount, /srv/app/data -> /mnt/disk1/data) was compared as given, so a live database was replaced.
    const archive = path.join(work, 'for-symlink.tar.gz')
    expect((await runCli(repoRoot, ['backup', '--db', live, '--out', archive])).code).toBe(0)
    const realDir = path.join(work, 'real-data')
    mkdirSync(realDir)
    const linkDir = path.join(work, 'linked-data')
    symlinkSync(realDir, linkDir)
    const target = path.join(realDir, 'app.db')
    const seed = openDatabase(target)
    seed.exec('CREATE TABLE "mine" ("v" TEXT); INSERT INTO "mine" VALUES (\'live\')')
    seed.close()
    const holder = spawn(process.execPath, ['-e', `const D = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'better-sqlite3'))}); const db = new D(${JSON.stringify(target)}); db.prepare('SELECT 1').get(); process.stdout.write('open\\n'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise((resolve) => holder.stdout!.once('data', resolve))
    try {
      const refused = await runCli(repoRoot, ['restore', archive, '--db', path.join(linkDir, 'app.db'), '--force'])
      expect(refused.err).toContain('KL_BACKUP_LIVE')
      expect(refused.code).toBe(1)
      expect(dump(target).mine).toEqual([{ v: 'live' }])
    } finally {
      await stop(holder)
    }
  }, 30_000)

  // Another container (docs/deploy.md restores from `docker run` beside the API container): its
  // processes are not in this one's /proc. A separate PID namespace stands in for it.
  const namespaces = spawnSync('unshare', ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', 'true']).status === 0
  it.skipIf(!namespaces)('never replaces a database held open by a process it cannot see (another container)', async () => {
    // Review: the /proc scan sees only its own PID namespace, so the documented `docker run … restore`
    // replaced the database under a running API container; SQLite's own locks are shared by the volume.
    const archive = path.join(work, 'for-namespace.tar.gz')
    expect((await runCli(repoRoot, ['backup', '--db', live, '--out', archive])).code).toBe(0)
    const target = path.join(work, 'served.db')
    const seed = openDatabase(target)
    seed.exec('CREATE TABLE "mine" ("v" TEXT); INSERT INTO "mine" VALUES (\'live\')')
    seed.close()
    const holder = spawn(process.execPath, ['-e', `const D = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'better-sqlite3'))}); const db = new D(${JSON.stringify(target)}); db.pragma('journal_mode = WAL'); db.prepare('SELECT 1').get(); process.stdout.write('open\\n'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise((resolve) => holder.stdout!.once('data', resolve))
    try {
      const restore = spawnSync('unshare', ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', process.execPath, '--input-type=module', '-e', `const { main } = await import(${JSON.stringify(path.join(repoRoot, 'engine', 'cli', 'main.ts'))}); process.exitCode = await main(process.argv.slice(1))`, 'restore', archive, '--db', target, '--force'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 })
      expect(restore.stderr + restore.stdout).toContain('KL_BACKUP_LIVE')
      expect(restore.status).toBe(1)
      expect(dump(target).mine).toEqual([{ v: 'live' }])
    } finally {
      await stop(holder)
    }
  }, 40_000)

  it('refuses a backup with migrations the project does not know', async () => {
    const archive = path.join(work, 'newer.tar.gz')
    expect((await runCli(repoRoot, ['backup', '--db', live, '--out', archive])).code).toBe(0)
    const error = await restoreBackup(archive, path.join(work, 'older-app.db'), { force: false, knownMigrations: [] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KoyaError)
    expect((error as KoyaError).code).toBe('KL_BACKUP_SCHEMA_NEWER')
    expect(existsSync(path.join(work, 'older-app.db'))).toBe(false)
  })

  it('keeps the newest --keep dated archives of a directory and nothing else is touched', async () => {
    const dir = path.join(work, 'dated')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'notes.txt'), 'mine')
    for (let i = 0; i < 3; i++) {
      const run = await runCli(repoRoot, ['backup', '--db', live, '--dir', dir, '--keep', '2'])
      expect(run.code, run.err).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 5)) // distinct instants in the names
    }
    const names = readdirSync(dir).sort()
    expect(names.filter((n) => n.startsWith('koya-backup-'))).toHaveLength(2)
    expect(names).toContain('notes.txt')
    const usage = await runCli(repoRoot, ['backup', '--db', live, '--keep', 'none'])
    expect(usage.err).toContain('KL_CLI_USAGE')
    const missing = await runCli(repoRoot, ['restore', path.join(work, 'nope.tar.gz'), '--db', path.join(work, 'x.db')])
    expect(missing.err).toContain('KL_BACKUP_NOT_FOUND')
  }, 30_000)
})
