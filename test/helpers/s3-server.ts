import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { ensureS3Bucket, type S3Settings } from '../../engine/runtime/storage/drivers/s3.ts'

/**
 * A real S3 server for a test file: Ceph radosgw (real SigV4), started by ceph-rgw.sh in a
 * throwaway directory on free ports, or one already running when `KOYA_TEST_S3_ENDPOINT` is set
 * (with `KOYA_TEST_S3_ACCESS_KEY` / `KOYA_TEST_S3_SECRET_KEY`, defaulting to the script's keys).
 * Each call makes a fresh bucket, so test files never see each other's objects.
 *
 * @example
 * let s3: S3TestServer
 * beforeAll(async () => { s3 = await startS3Server() }, START_HOOK_TIMEOUT_MS)
 * afterAll(() => s3.stop())
 */
export interface S3TestServer {
  readonly settings: S3Settings
  /** Milliseconds the server took to start (0 when an already running one was reused). */
  readonly startMs: number
  stop(): Promise<void>
}

const ACCESS_KEY = 'KOYAACCESSKEY'
const SECRET_KEY = 'koyasecretkey123'
/** One start attempt; a test file gives its beforeAll 2 attempts' worth (START_HOOK_TIMEOUT_MS). */
const START_TIMEOUT_MS = 90_000
/** The beforeAll timeout a test file that calls startS3Server should use. */
export const START_HOOK_TIMEOUT_MS = 2 * START_TIMEOUT_MS + 30_000
const SCRIPT = path.join(import.meta.dirname, 'ceph-rgw.sh')

export async function startS3Server(): Promise<S3TestServer> {
  const bucket = `koya-test-${randomBytes(6).toString('hex')}`
  const reuse = process.env.KOYA_TEST_S3_ENDPOINT
  if (reuse) {
    const settings = { ...baseSettings(reuse, bucket), accessKeyId: process.env.KOYA_TEST_S3_ACCESS_KEY ?? ACCESS_KEY, secretAccessKey: process.env.KOYA_TEST_S3_SECRET_KEY ?? SECRET_KEY }
    await ensureS3Bucket(settings)
    return { settings, startMs: 0, stop: async () => {} }
  }
  if (!existsSync('/usr/bin/radosgw')) {
    throw new Error('radosgw is not installed: apt-get install -y --no-install-recommends ceph-mon ceph-osd ceph-mgr radosgw ceph-common (.ci/run does), or set KOYA_TEST_S3_ENDPOINT.')
  }
  try {
    return await startRadosgw(bucket)
  } catch (error) {
    // One more try on fresh ports: a loaded machine can time a daemon out once.
    console.warn(`radosgw start failed, trying again: ${(error as Error).message.split('\n')[0]}`)
    return startRadosgw(bucket)
  }
}

async function startRadosgw(bucket: string): Promise<S3TestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-rgw-'))
  const [port, monPort] = [await freePort(), await freePort()]
  const started = performance.now()
  const stop = async () => {
    stopDaemons(dir)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await run('bash', [SCRIPT, dir, String(port), String(monPort)], START_TIMEOUT_MS)
    const settings = baseSettings(`http://127.0.0.1:${port}`, bucket)
    await ensureS3Bucket(settings)
    return { settings, startMs: Math.round(performance.now() - started), stop }
  } catch (error) {
    const logs = existsSync(path.join(dir, 'log')) ? readdirSync(path.join(dir, 'log')).map((f) => `${f}: ${tail(path.join(dir, 'log', f))}`).join('\n') : ''
    await stop()
    throw new Error(`radosgw did not start: ${(error as Error).message}\n${logs}`)
  }
}

function baseSettings(endpoint: string, bucket: string): S3Settings {
  return { endpoint, region: 'us-east-1', bucket, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, forcePathStyle: true }
}

/** SIGKILL each daemon by the pid it wrote (memstore keeps nothing worth a clean shutdown). */
function stopDaemons(dir: string): void {
  const run = path.join(dir, 'run')
  if (!existsSync(run)) return
  for (const file of readdirSync(run).filter((f) => f.endsWith('.pid'))) {
    const pid = Number(readFileSync(path.join(run, file), 'utf8').trim())
    if (Number.isInteger(pid) && pid > 1) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
}

function run(command: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout, killSignal: 'SIGKILL' }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function tail(file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')
}
