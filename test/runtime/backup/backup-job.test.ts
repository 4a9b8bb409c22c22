import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../../engine/compiler/index.ts'
import { bucket, defineConfig, t, table } from '../../../engine/dsl/index.ts'
import { KoyaErrorList } from '../../../engine/shared/errors.ts'
import { PNG, bearer, storageApp } from '../storage/storage-app.ts'

// Gap 11 of issue 20: scheduled backups as a built-in job, through the queue's cron.

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-backup-job-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('defineConfig({ backups })', () => {
  it("goes into model.json checked: the schedule as a job's cron, the bucket one of the app's", () => {
    const notes = table('notes', { id: t.id(), body: t.text() })
    const model = compileDefinition(defineConfig({ name: 'b', tables: { notes }, storage: { backups: bucket({ maxSize: '1GB' }) }, backups: { schedule: '0 3 * * *', keep: 7, to: 'backups' } }))
    expect(model.backups).toEqual({ schedule: '0 3 * * *', timezone: null, keep: 7, to: 'backups' })
    expect(compileDefinition(defineConfig({ name: 'b', tables: { notes } })).backups).toBeUndefined()
    let caught: unknown
    try {
      compileDefinition(defineConfig({ name: 'b', tables: { notes }, backups: { schedule: 'every night', to: 'nowhere' } }))
    } catch (error) {
      caught = error
    }
    const codes = (caught as KoyaErrorList).errors.map((e) => e.code)
    expect(codes).toEqual(expect.arrayContaining(['KL_DEF_CRON', 'KL_DEF_INVALID']))
    expect((caught as KoyaErrorList).message).toContain('backups.to "nowhere" is not a bucket of this app.')
  })

  it('runs on its schedule in a real server: one run per slot, checked archives in the bucket, the newest `keep` kept', async () => {
    const dir = mkdtempSync(path.join(work, 'app-'))
    // Every second: croner's six-field form.
    const app = await storageApp({ dir, extend: (model) => ({ ...model, backups: { schedule: '* * * * * *', timezone: null, keep: 2, to: 'vault' } }) })
    try {
      const ada = await app.user('ada-backup-job@example.com')
      const uploaded = await fetch(`${app.url}/storage/open`, { method: 'POST', headers: { ...bearer(ada.token), 'content-type': 'application/octet-stream' }, body: PNG })
      expect(uploaded.status).toBe(201)
      const runs = () => app.db.prepare(`SELECT "status", "slot" FROM "_koya_jobs" WHERE "kind" = 'job:_koya_backup'`).all() as { status: string; slot: string }[]
      const until = Date.now() + 30_000
      while (runs().filter((r) => r.status === 'done').length < 3) {
        if (Date.now() > until) throw new Error(`backup runs: ${JSON.stringify(runs())}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // One row per slot, none failed.
      const slots = runs().map((r) => r.slot)
      expect(new Set(slots).size).toBe(slots.length)
      expect(runs().filter((r) => r.status === 'dead')).toEqual([])
      // Retention: the index lists at most `keep`, each on disk.
      const vault = path.join(dir, 'storage', 'vault')
      const index = JSON.parse(readFileSync(path.join(vault, 'koya-backup-index'), 'utf8')) as { key: string; sha256: string }[]
      expect(index.length).toBeGreaterThanOrEqual(1)
      expect(index.length).toBeLessThanOrEqual(2)
      for (const entry of index) expect(existsSync(path.join(dir, 'storage', entry.key))).toBe(true)
      // A run may be between its upload and its prune: at most one more archive than `keep`.
      expect(readdirSync(vault).filter((name) => name.startsWith('koya-backup-2')).length).toBeLessThanOrEqual(3)
      // The newest archive: the database, checked, with the uploaded object and without the vault.
      const x = mkdtempSync(path.join(work, 'x-'))
      await tar.extract({ file: path.join(dir, 'storage', index.at(-1)!.key), cwd: x })
      const manifest = JSON.parse(readFileSync(path.join(x, 'manifest.json'), 'utf8'))
      expect(manifest).toMatchObject({ format: 1, sha256: index.at(-1)!.sha256 })
      expect(manifest.tables.users).toBeGreaterThanOrEqual(1)
      expect(readdirSync(path.join(x, 'storage'))).toContain('open')
      expect(readdirSync(path.join(x, 'storage'))).not.toContain('vault')
    } finally {
      await app.close()
    }
  })
})
