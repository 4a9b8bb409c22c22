import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { bucket, defineConfig, t, table } from '../../engine/dsl/index.ts'
import { createS3Driver } from '../../engine/runtime/storage/drivers/s3.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { START_HOOK_TIMEOUT_MS, startS3Server, type S3TestServer } from '../helpers/s3-server.ts'

// Gap 10 of issue 20 on the S3 driver: `backup --to <bucket>`, `--keep` and `restore --from`
// against Ceph radosgw (real SigV4), the same commands as with the local driver.

let s3: S3TestServer
beforeAll(async () => {
  s3 = await startS3Server()
}, START_HOOK_TIMEOUT_MS)
afterAll(async () => {
  await s3?.stop()
})

const notes = table('notes', { id: t.id(), body: t.text() })
const root = mkdtempSync(path.join(os.tmpdir(), 'koya-backup-s3-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('koyalite backup --to <bucket> on the S3 driver', () => {
  it('puts the archive, prunes with --keep and restores from it, all through S3', async () => {
    mkdirSync(path.join(root, 'generated'))
    writeFileSync(path.join(root, 'generated', 'model.json'), JSON.stringify(compileDefinition(defineConfig({ name: 'vault', tables: { notes }, storage: { backups: bucket({ maxSize: '1GB' }) } }))))
    const live = path.join(root, 'data', 'koya.db')
    mkdirSync(path.dirname(live), { recursive: true })
    const db = openDatabase(live)
    db.exec('CREATE TABLE "notes" ("id" TEXT PRIMARY KEY NOT NULL, "body" TEXT NOT NULL) STRICT')
    db.prepare('INSERT INTO "notes" VALUES (?, ?)').run('a', 'kept in S3')
    db.close()
    const env = {
      KOYA_STORAGE_DRIVER: 's3',
      KOYA_S3_ENDPOINT: s3.settings.endpoint,
      KOYA_S3_BUCKET: s3.settings.bucket,
      KOYA_S3_ACCESS_KEY_ID: s3.settings.accessKeyId,
      KOYA_S3_SECRET_ACCESS_KEY: s3.settings.secretAccessKey,
      KOYA_S3_REGION: s3.settings.region,
    }
    const keys: string[] = []
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      const run = await runCli(root, ['backup', '--to', 'backups', '--keep', '2'], env)
      expect(run.code, run.err).toBe(0)
      expect(run.out).toContain('(S3)')
      keys.push(/written to (backups\/koya-backup-[0-9TZ-]+)/.exec(run.out)![1]!)
    }
    const driver = createS3Driver(s3.settings)
    try {
      expect(await driver.head(keys[0]!)).toBeUndefined() // pruned
      for (const key of keys.slice(1)) expect((await driver.head(key))?.size).toBeGreaterThan(0)
    } finally {
      await driver.close()
    }
    const list = await runCli(root, ['backup', '--list', 'backups'], env)
    expect(list.out.split('\n').map((line) => line.split(' ')[0])).toEqual(keys.slice(1))

    const handle = openDatabase(live)
    handle.exec('DELETE FROM "notes"')
    handle.close()
    const restore = await runCli(root, ['restore', '--from', keys[2]!, '--force'], env)
    expect(restore.code, restore.err).toBe(0)
    const check = openDatabase(live)
    expect(check.prepare('SELECT "body" FROM "notes"').pluck().all()).toEqual(['kept in S3'])
    check.close()
  })
})
