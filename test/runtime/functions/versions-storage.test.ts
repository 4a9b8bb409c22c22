import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { versionHash } from '../../../engine/runtime/functions/function-store.ts'
import { createS3Driver } from '../../../engine/runtime/storage/drivers/s3.ts'
import { call } from '../../helpers/auth-app.ts'
import { runCli } from '../../helpers/cli.ts'
import { START_HOOK_TIMEOUT_MS, startS3Server, type S3TestServer } from '../../helpers/s3-server.ts'
import { admin, functionsApp, killDenoUnder, type FunctionsTestApp } from './functions-fixture.ts'

// KOYA_FUNCTIONS_VERSIONS=storage: bundles and maps in the storage bucket (the local driver here),
// the metadata in the database; rollback and a cold start read the bytes back from the bucket.
const source = (label: string) => `import { label } from './lib/label.ts'
export default (): Response => new Response(label(${JSON.stringify(label)}))
`

describe('functions: versions kept in the storage bucket', () => {
  let t: FunctionsTestApp
  let second: FunctionsTestApp | undefined
  let storageDir: string
  let env: Record<string, string>
  const write = (label: string) => {
    mkdirSync(path.join(t.root, 'functions', 'lib'), { recursive: true })
    writeFileSync(path.join(t.root, 'functions', 'greet.ts'), source(label))
    writeFileSync(path.join(t.root, 'functions', 'lib', 'label.ts'), 'export const label = (text: string): string => `version ${text}`\n')
  }
  const greet = async (app: FunctionsTestApp = t) => {
    const response = await fetch(`${app.url}/functions/greet`)
    return `${response.status} ${await response.text()}`
  }
  const row = (number: number) => t.db.prepare(`SELECT "version", "code", "sourceMap", "storedIn", "bytes" FROM "_koya_function_versions" WHERE "function" = 'greet' AND "number" = ?`).get(number) as { version: string; code: string; sourceMap: string | null; storedIn: string; bytes: number }
  const bucketFiles = () => (existsSync(path.join(storageDir, '_functions', 'greet')) ? readdirSync(path.join(storageDir, '_functions', 'greet')).sort() : [])

  beforeAll(async () => {
    storageDir = mkdtempSync(path.join(os.tmpdir(), 'koya-fn-bucket-'))
    env = { KOYA_FUNCTIONS_VERSIONS: 'storage', KOYA_STORAGE_DIR: storageDir }
    t = await functionsApp([{ name: 'greet', code: 'export default () => new Response("version generated")', file: 'functions/greet.ts' }], { env })
    writeFileSync(path.join(t.root, 'generated', 'model.json'), JSON.stringify(t.model))
  }, 60_000)
  afterAll(async () => {
    await second?.close()
    await t?.close()
    if (second) killDenoUnder(second.workDir)
    if (t) killDenoUnder(t.workDir)
    rmSync(storageDir, { recursive: true, force: true })
  })

  it('deploy (CLI) writes the bundle and its source map to the bucket, the row keeps the metadata', async () => {
    write('one')
    const deployed = await runCli(t.root, ['functions', 'deploy', 'greet', '--db', t.file], { ...env, KOYA_DEPLOYED_BY: 'test-suite' })
    expect(deployed.err).toBe('')
    expect(deployed.code).toBe(0)
    const v1 = row(1)
    expect(v1).toMatchObject({ code: '', sourceMap: null, storedIn: 'storage' })
    expect(bucketFiles()).toEqual([`${v1.version}.js`, `${v1.version}.js.map`])
    const code = readFileSync(path.join(storageDir, '_functions', 'greet', `${v1.version}.js`), 'utf8')
    expect(versionHash(code)).toBe(v1.version)
    expect(v1.bytes).toBe(Buffer.byteLength(code))
    expect(JSON.parse(readFileSync(path.join(storageDir, '_functions', 'greet', `${v1.version}.js.map`), 'utf8')).sources.join(' ')).toContain('label.ts')
    expect(await greet()).toBe('200 version one')
    const listed = await runCli(t.root, ['functions', 'versions', 'greet', '--db', t.file], env)
    expect(listed.out).toContain('(storage bucket)')
  })

  it('deploy (admin API) goes to the bucket too; rollback reads the earlier version back from it', async () => {
    const code = 'export default () => new Response("version two")\n'
    const deployed = await call(t, 'POST', '/admin/functions/greet/versions', { headers: admin(), body: { code } })
    expect(deployed.status).toBe(201)
    expect(deployed.body).toMatchObject({ number: 2, storedIn: 'storage', bytes: Buffer.byteLength(code), active: true })
    expect(row(2)).toMatchObject({ code: '', storedIn: 'storage' })
    expect(bucketFiles()).toContain(`${versionHash(code)}.js`)
    expect(await greet()).toBe('200 version two')

    // The server's copy of v1 is gone: the rollback must read v1 from the bucket.
    for (const entry of readdirSync(t.workDir)) if (entry === `greet-${row(1).version}`) rmSync(path.join(t.workDir, entry), { recursive: true, force: true })
    const rolled = await call(t, 'POST', '/admin/functions/greet/rollback', { headers: admin(), body: {} })
    expect(rolled.status).toBe(200)
    expect(rolled.body).toMatchObject({ number: 1, storedIn: 'storage' })
    expect(await greet()).toBe('200 version one')
  })

  it('a cold start of another server reads the active version from the bucket', async () => {
    second = await functionsApp([{ name: 'greet', code: 'export default () => new Response("version generated")', file: 'functions/greet.ts' }], { env, databaseFile: t.file })
    expect(existsSync(path.join(second.workDir, `greet-${row(1).version}`))).toBe(false)
    expect(await greet(second)).toBe('200 version one')
    expect(existsSync(path.join(second.workDir, `greet-${row(1).version}`, 'fn.js'))).toBe(true)
  }, 60_000)

  it('a version whose bytes are missing from the bucket answers 503 with a hint, and the server keeps serving', async () => {
    const code = 'export default () => new Response("version three")\n'
    expect((await call(t, 'POST', '/admin/functions/greet/versions', { headers: admin(), body: { code } })).status).toBe(201)
    rmSync(path.join(storageDir, '_functions', 'greet', `${versionHash(code)}.js`))
    // The second server has never run v3: it must read it, and cannot.
    const response = await fetch(`${second!.url}/functions/greet`)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ code: 'KL_API_FUNCTION_UNAVAILABLE', hint: expect.stringContaining('koyalite functions deploy greet') })
    expect((await call(t, 'POST', '/admin/functions/greet/rollback', { headers: admin(), body: { to: 'v1' } })).status).toBe(200)
    expect(await greet(second)).toBe('200 version one')
  }, 60_000)
})

describe('functions: versions kept in an S3 bucket (Ceph radosgw)', () => {
  let s3: S3TestServer
  let t: FunctionsTestApp
  let env: Record<string, string>
  beforeAll(async () => {
    s3 = await startS3Server()
    env = {
      KOYA_FUNCTIONS_VERSIONS: 'storage',
      KOYA_STORAGE_DRIVER: 's3',
      KOYA_S3_ENDPOINT: s3.settings.endpoint,
      KOYA_S3_REGION: s3.settings.region,
      KOYA_S3_BUCKET: s3.settings.bucket,
      KOYA_S3_ACCESS_KEY_ID: s3.settings.accessKeyId,
      KOYA_S3_SECRET_ACCESS_KEY: s3.settings.secretAccessKey,
      KOYA_S3_FORCE_PATH_STYLE: String(s3.settings.forcePathStyle),
    }
    t = await functionsApp([{ name: 'greet', code: 'export default () => new Response("version generated")', file: 'functions/greet.ts' }], { env })
  }, START_HOOK_TIMEOUT_MS)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
    await s3?.stop()
  })

  it('deploys to S3, keeps only the metadata in the database, and a fresh worker dir reads it back on rollback', async () => {
    const greet = async () => {
      const response = await fetch(`${t.url}/functions/greet`)
      return `${response.status} ${await response.text()}`
    }
    const one = 'export default () => new Response("s3 one")\n'
    const two = 'export default () => new Response("s3 two")\n'
    for (const code of [one, two]) expect((await call(t, 'POST', '/admin/functions/greet/versions', { headers: admin(), body: { code, sourceMap: '{"version":3,"sources":[],"mappings":""}' } })).body).toMatchObject({ storedIn: 'storage' })
    expect(await greet()).toBe('200 s3 two')
    const driver = createS3Driver(s3.settings)
    try {
      expect(await driver.head(`_functions/greet/${versionHash(one)}.js`)).toEqual({ size: Buffer.byteLength(one) })
      expect(await driver.head(`_functions/greet/${versionHash(one)}.js.map`)).toBeDefined()
    } finally {
      await driver.close()
    }
    expect(t.db.prepare(`SELECT group_concat("code", '') FROM "_koya_function_versions"`).pluck().get()).toBe('')
    rmSync(path.join(t.workDir, `greet-${versionHash(one)}`), { recursive: true, force: true })
    expect((await call(t, 'POST', '/admin/functions/greet/rollback', { headers: admin(), body: {} })).body).toMatchObject({ number: 1 })
    expect(await greet()).toBe('200 s3 one')
  }, 60_000)
})
