import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { bucket, defineConfig, t, table } from '../../engine/dsl/index.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'

// Gap 10 of issue 20: `backup --to <bucket>` through the storage driver (here the local one),
// retention with --keep, `restore --from <bucket>/<key>`.

const notes = table('notes', { id: t.id(), body: t.text() })
const root = mkdtempSync(path.join(os.tmpdir(), 'koya-backup-bucket-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
mkdirSync(path.join(root, 'generated'))
writeFileSync(
  path.join(root, 'generated', 'model.json'),
  JSON.stringify(compileDefinition(defineConfig({ name: 'vault', tables: { notes }, storage: { backups: bucket({ maxSize: '1GB' }), docs: bucket({ maxSize: '1MB' }) } }))),
)
const live = path.join(root, 'data', 'koya.db')
const storage = path.join(root, 'data', 'storage')
mkdirSync(path.join(storage, 'docs'), { recursive: true })
writeFileSync(path.join(storage, 'docs', 'object-1'), 'the bytes of an object')
const db = openDatabase(live)
db.exec('CREATE TABLE "notes" ("id" TEXT PRIMARY KEY NOT NULL, "body" TEXT NOT NULL) STRICT')
for (const id of ['a', 'b', 'c']) db.prepare('INSERT INTO "notes" VALUES (?, ?)').run(id, `note ${id}`)
db.close()

const count = () => {
  const handle = openDatabase(live)
  try {
    return handle.prepare('SELECT count(*) FROM "notes"').pluck().get()
  } finally {
    handle.close()
  }
}
const index = () => JSON.parse(readFileSync(path.join(storage, 'backups', 'koya-backup-index'), 'utf8')) as { key: string; bytes: number }[]
const keyOf = (out: string) => /written to (backups\/koya-backup-[0-9TZ-]+)/.exec(out)?.[1]

describe('koyalite backup --to <bucket> and restore --from', () => {
  it('writes the archive into the bucket through the storage driver, leaving that bucket out of the archived objects', async () => {
    const run = await runCli(root, ['backup', '--to', 'backups'])
    expect(run.code, run.err).toBe(0)
    const key = keyOf(run.out)!
    expect(key).toBeDefined()
    expect(index().map((e) => e.key)).toEqual([key])
    const stored = path.join(storage, key)
    expect(index()[0]!.bytes).toBe(readFileSync(stored).length)
    const dir = mkdtempSync(path.join(root, 'x-'))
    await tar.extract({ file: stored, cwd: dir })
    expect(readdirSync(path.join(dir, 'storage'))).toEqual(['docs'])
    expect(readFileSync(path.join(dir, 'storage', 'docs', 'object-1'), 'utf8')).toBe('the bytes of an object')
    // Nothing is left in the system's temp directory or beside the database.
    expect(readdirSync(path.join(root, 'data')).sort()).toEqual(['koya.db', 'storage'].sort())
  })

  it('--keep n keeps the newest n backups of the bucket, and --list shows them', async () => {
    for (let i = 0; i < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5)) // distinct instants
      expect((await runCli(root, ['backup', '--to', 'backups'])).code).toBe(0)
    }
    const before = index().map((e) => e.key)
    expect(before).toHaveLength(3)
    const run = await runCli(root, ['backup', '--to', 'backups', '--keep', '2'])
    expect(run.code, run.err).toBe(0)
    const after = index().map((e) => e.key)
    expect(after).toEqual([before[2], keyOf(run.out)])
    for (const gone of before.slice(0, 2)) expect(existsSync(path.join(storage, gone!))).toBe(false)
    const list = await runCli(root, ['backup', '--list', 'backups'])
    expect(list.out.split('\n').map((line) => line.split(' ')[0])).toEqual(after)
  })

  it('restore --from reads the backup back through the driver; the backups bucket stays as it is', async () => {
    const key = index().at(-1)!.key
    const handle = openDatabase(live)
    handle.exec('DELETE FROM "notes"')
    handle.close()
    rmSync(path.join(storage, 'docs', 'object-1'))
    const run = await runCli(root, ['restore', '--from', key, '--force'])
    expect(run.code, run.err).toBe(0)
    expect(count()).toBe(3)
    expect(readFileSync(path.join(storage, 'docs', 'object-1'), 'utf8')).toBe('the bytes of an object')
    expect(index().map((e) => e.key)).toContain(key)
    expect(existsSync(path.join(storage, key))).toBe(true)
  })

  it('refuses a bucket the app does not declare, and names a backup that is not there', async () => {
    const unknown = await runCli(root, ['backup', '--to', 'nowhere'])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('KL_CLI_USAGE "nowhere" is not a bucket of this app.')
    const missing = await runCli(root, ['restore', '--from', 'backups/koya-backup-1999-01-01T00-00-00-000Z', '--force'])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('KL_BACKUP_NOT_FOUND')
    const both = await runCli(root, ['backup', '--to', 'backups', '--out', 'x.tar.gz'])
    expect(both.err).toContain('KL_CLI_USAGE')
  })
})
