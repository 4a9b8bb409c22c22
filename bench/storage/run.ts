// Storage throughput (issue 13): upload and download of 1 MB and 50 MB files through `fs`
// directly (temp file, fsync, rename: what the local driver does), through the S3 server directly
// (@aws-sdk/client-s3 PutObject/GetObject, the bytes in memory) and through KoyaLite's S3 driver
// (streamed, multipart), same run; then 10 KB downloads per second from @fastify/static, the
// small-object baseline, and from KoyaLite's `GET /storage/open/<id>` (local driver) for the same
// bytes, each server pinned to the same core, with the ratio. The S3 server is Ceph radosgw
// (test/helpers/ceph-rgw.sh), or the one at KOYA_TEST_S3_ENDPOINT.
// Usage: node bench/storage/run.ts [--rounds 3] [--duration 10] [--warmup 2] [--only throughput|small]
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { createS3Driver } from '../../engine/runtime/storage/drivers/s3.ts'
import { startS3Server, type S3TestServer } from '../../test/helpers/s3-server.ts'
import { startChildServer, type ChildServer } from '../../test/runtime/storage/child-process.ts'
import { startServer, type ServerProcess } from '../rest/servers.ts'
import { missingTools, runWrkScript } from '../rest/wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const SERVER_CORE = 0
const WRK_CORE = 1
const MB = 1024 * 1024
/** Files per round by size: enough bytes per round (≥ 20 MB) that one slow call does not decide it. */
const SIZES = [
  { label: '1 MB', bytes: MB, count: 20 },
  { label: '50 MB', bytes: 50 * MB, count: 2 },
] as const
const SMALL_FILES = 1000
const SMALL_SIZE = 10 * 1024
/** KoyaLite's throughput as a share of the direct path's, at least (issue 13). */
const TARGET = 0.7

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, only: { type: 'string', default: 'all' } } })
/** `--only throughput` or `--only small` runs one half (smoke runs, profiling). */
const only = args.only as 'all' | 'throughput' | 'small'
const rounds = Number(args.rounds)
const duration = Number(args.duration)
const warmup = Number(args.warmup)

/** One way bytes reach storage and come back. */
interface ThroughputPath {
  readonly name: string
  /** The direct path this one is compared with (its ratio is printed against the target), if any. */
  readonly baseline?: string
  upload(key: string, bytes: number): Promise<void>
  download(key: string): Promise<number>
  cleanUp(key: string): Promise<void>
}

const block = randomBytes(MB)
/** `bytes` from one random MiB, in 64 KiB chunks: the source costs the same on every path. */
function body(bytes: number): Readable {
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < bytes; sent += 65_536) yield block.subarray(sent % MB, (sent % MB) + Math.min(65_536, bytes - sent))
    })(),
  )
}
async function drain(stream: Readable): Promise<number> {
  let n = 0
  for await (const chunk of stream) n += (chunk as Buffer).length
  return n
}

function fsPath(dir: string): ThroughputPath {
  return {
    name: 'fs (temp file, fsync, rename)',
    async upload(key, bytes) {
      const final = path.join(dir, key)
      const temp = `${final}.tmp`
      const handle = await open(temp, 'w')
      for await (const chunk of body(bytes)) await handle.write(chunk as Buffer)
      await handle.sync()
      await handle.close()
      await rename(temp, final)
    },
    download: (key) => drain(createReadStream(path.join(dir, key))),
    cleanUp: (key) => rm(path.join(dir, key), { force: true }),
  }
}

function s3DirectPath(s3: S3TestServer): ThroughputPath {
  const { settings } = s3
  const client = new S3Client({ endpoint: settings.endpoint, region: settings.region, forcePathStyle: true, credentials: settings, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  return {
    name: 'S3 server directly (PutObject of the bytes in memory)',
    async upload(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `direct/${key}`, Body: Buffer.concat(await body(bytes).toArray()) }))
    },
    async download(key) {
      const response = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: `direct/${key}` }))
      return drain(response.Body as Readable)
    },
    async cleanUp() {},
  }
}

function s3DriverPath(s3: S3TestServer): ThroughputPath {
  const driver = createS3Driver(s3.settings)
  return {
    name: 'KoyaLite S3 driver (streamed, multipart)',
    baseline: 'S3 server directly (PutObject of the bytes in memory)',
    upload: (key, bytes) => driver.put(`driver/${key}`, body(bytes), { contentType: 'application/octet-stream' }),
    download: async (key) => drain((await driver.get(`driver/${key}`))!),
    cleanUp: (key) => driver.delete(`driver/${key}`),
  }
}

// ── The KoyaLite path ─────────────────────────────────────────────────────────────────────────
// A storage server in its own process (test/runtime/storage/child-server.ts: the reference app
// plus the test buckets, bucket "open" taking 300 MB from any user and readable by anyone):
// `POST /storage/open` with the raw body (the server streams it) as a signed-in user, and
// `GET /storage/open/<id>`, both by node:http.
// Once on the local driver (against `fs`) and once on the S3 driver against the same radosgw
// (against S3 directly). The target is TARGET (0.7) of the baseline.
async function koyalitePath(name: string, baseline: string, dir: string, env: Readonly<Record<string, string>>, servers: ChildServer[]): Promise<ThroughputPath> {
  const server = await startChildServer(dir, env)
  servers.push(server)
  const ids = new Map<string, string>()
  return {
    name,
    baseline,
    async upload(key, bytes) {
      // The bytes in memory, sent by node:http (as the S3 direct path sends them): the client's own
      // cost (web streams through fetch) is not KoyaLite's.
      const answer = await httpRequest(`${server.url}/storage/open?name=${key}`, 'POST', { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' }, Buffer.concat(await body(bytes).toArray()))
      if (answer.status !== 201) throw new Error(`upload ${key}: ${answer.status} ${answer.text}`)
      ids.set(key, (JSON.parse(answer.text) as { id: string }).id)
    },
    async download(key) {
      return new Promise<number>((resolve, reject) => {
        http.get(`${server.url}/storage/open/${ids.get(key)}`, (response) => {
          let n = 0
          response.on('data', (chunk: Buffer) => (n += chunk.length))
          response.on('end', () => resolve(n))
          response.on('error', reject)
        }).on('error', reject)
      })
    },
    async cleanUp(key) {
      await httpRequest(`${server.url}/storage/open/${ids.get(key)}`, 'DELETE', { authorization: `Bearer ${server.token}` })
    },
  }
}

/** One request by node:http; the answer's status and text. */
function httpRequest(url: string, method: string, headers: Record<string, string>, payload?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: { ...headers, ...(payload === undefined ? {} : { 'content-length': String(payload.length) }) } }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(payload)
  })
}

interface Row {
  path: string
  size: string
  uploadMBs: number
  downloadMBs: number
}

async function measure(p: ThroughputPath, size: (typeof SIZES)[number]): Promise<Row> {
  let bestUp = 0
  let bestDown = 0
  for (let round = 0; round < rounds; round++) {
    const keys = Array.from({ length: size.count }, (_, i) => `r${round}-${size.bytes}-${i}`)
    let started = performance.now()
    for (const key of keys) await p.upload(key, size.bytes)
    bestUp = Math.max(bestUp, (size.bytes * size.count) / MB / ((performance.now() - started) / 1000))
    started = performance.now()
    for (const key of keys) if ((await p.download(key)) !== size.bytes) throw new Error(`${p.name}: ${key} came back short`)
    bestDown = Math.max(bestDown, (size.bytes * size.count) / MB / ((performance.now() - started) / 1000))
    for (const key of keys) await p.cleanUp(key)
  }
  return { path: p.name, size: size.label, uploadMBs: bestUp, downloadMBs: bestDown }
}

/** The best of `rounds` wrk runs (after one warm-up) of `script` against `url`. */
async function bestWrk(name: string, url: string, script: string, scriptArgs: readonly string[]): Promise<number> {
  const wrk = (seconds: number) => runWrkScript({ script: path.join(here, script), scriptArgs, url, connections: 32, seconds, core: WRK_CORE })
  await wrk(warmup)
  let best = 0
  for (let round = 0; round < rounds; round++) {
    const result = await wrk(duration)
    if (result.errors > 0) throw new Error(`${name} answered ${result.errors} errors`)
    best = Math.max(best, result.requestsPerSecond)
  }
  return best
}

/**
 * 10 KB downloads per second: @fastify/static serving SMALL_FILES files from a directory, then
 * KoyaLite (the local-driver child server, pinned to the same core for the run) serving the same
 * bytes as objects of bucket "open" (read rule: anyone) at `GET /storage/open/<id>`.
 */
async function smallObjects(work: string, koya: ChildServer): Promise<{ staticPerSecond: number; koyaPerSecond: number }> {
  const dir = path.join(work, 'small')
  mkdirSync(dir)
  const ids: string[] = []
  for (let i = 1; i <= SMALL_FILES; i++) {
    const bytes = randomBytes(SMALL_SIZE)
    writeFileSync(path.join(dir, `${i}.bin`), bytes)
    const answer = await fetch(`${koya.url}/storage/open?name=small-${i}.bin`, { method: 'POST', headers: { authorization: `Bearer ${koya.token}`, 'content-type': 'application/octet-stream' }, body: bytes })
    if (answer.status !== 201) throw new Error(`upload small-${i}: ${answer.status} ${await answer.text()}`)
    ids.push(((await answer.json()) as { id: string }).id)
  }
  const idsFile = path.join(work, 'small-ids.txt')
  writeFileSync(idsFile, `${ids.join('\n')}\n`)
  let server: ServerProcess | undefined
  let staticPerSecond: number
  try {
    server = await startServer({ name: '@fastify/static', args: [path.join(here, 'static-server.ts'), dir], core: SERVER_CORE, ready: /^listening (\d+)$/ })
    staticPerSecond = await bestWrk('@fastify/static', server.url, 'wrk.lua', ['/files/', String(SMALL_FILES)])
  } finally {
    await server?.stop()
  }
  // Every thread of the KoyaLite process on the server core, as the static server's were.
  execFileSync('taskset', ['-a', '-p', '-c', String(SERVER_CORE), String(koya.pid)], { stdio: 'ignore' })
  const koyaPerSecond = await bestWrk('KoyaLite', koya.url, 'wrk-ids.lua', ['/storage/open/', idsFile])
  return { staticPerSecond, koyaPerSecond }
}

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-storage-'))
mkdirSync(path.join(work, 'fs'))
let s3: S3TestServer | undefined
const koyaServers: ChildServer[] = []
try {
  s3 = await startS3Server()
  console.log(`S3 server: ${s3.settings.endpoint} (started in ${s3.startMs} ms)`)
  const s3Env = { KOYA_STORAGE_DRIVER: 's3', KOYA_S3_ENDPOINT: s3.settings.endpoint, KOYA_S3_REGION: s3.settings.region, KOYA_S3_BUCKET: s3.settings.bucket, KOYA_S3_ACCESS_KEY_ID: s3.settings.accessKeyId, KOYA_S3_SECRET_ACCESS_KEY: s3.settings.secretAccessKey }
  mkdirSync(path.join(work, 'koya-local'))
  mkdirSync(path.join(work, 'koya-s3'))
  const paths = [
    fsPath(path.join(work, 'fs')),
    s3DirectPath(s3),
    s3DriverPath(s3),
    await koyalitePath('KoyaLite POST/GET /storage (local driver)', 'fs (temp file, fsync, rename)', path.join(work, 'koya-local'), {}, koyaServers),
    await koyalitePath('KoyaLite POST/GET /storage (S3 driver)', 'S3 server directly (PutObject of the bytes in memory)', path.join(work, 'koya-s3'), s3Env, koyaServers),
  ]
  if (only !== 'small') {
    const rows: Row[] = []
    for (const size of SIZES) for (const p of paths) rows.push(await measure(p, size))
    console.log(`\nThroughput, best of ${rounds} rounds (MB/s; MB = MiB):`)
    console.table(
      rows.map((row) => {
        const baseline = rows.find((r) => r.size === row.size && r.path === paths.find((p) => p.name === row.path)?.baseline)
        return {
          path: row.path,
          size: row.size,
          'upload MB/s': row.uploadMBs.toFixed(1),
          'download MB/s': row.downloadMBs.toFixed(1),
          'upload ratio': baseline ? (row.uploadMBs / baseline.uploadMBs).toFixed(2) : '',
          'download ratio': baseline ? (row.downloadMBs / baseline.downloadMBs).toFixed(2) : '',
        }
      }),
    )
    console.log(`Target for KoyaLite's paths: ≥ ${TARGET}× of their baseline.`)
  }
  if (only !== 'throughput') {
    const small = await smallObjects(work, koyaServers[0]!)
    console.log(`\n10 KB downloads, 32 connections, best of ${rounds} × ${duration} s, server on core ${SERVER_CORE}, wrk on core ${WRK_CORE}:`)
    console.table([
      { server: '@fastify/static (GET /files/<n>.bin)', 'req/s': Math.round(small.staticPerSecond), ratio: '' },
      { server: 'KoyaLite GET /storage/open/<id> (local driver)', 'req/s': Math.round(small.koyaPerSecond), ratio: (small.koyaPerSecond / small.staticPerSecond).toFixed(2) },
    ])
    console.log(`Target: KoyaLite ≥ ${TARGET}× of @fastify/static.`)
  }
} finally {
  for (const server of koyaServers) await server.kill('SIGTERM')
  await s3?.stop()
  rmSync(work, { recursive: true, force: true })
}
