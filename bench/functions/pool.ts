// The worker pool alone, no HTTP: a hello-world function on one Deno worker, `concurrency` calls at
// once, `total` calls; prints calls/s and the CPU time per call of the server (this process) and of
// the Deno worker. `checkout` is a KoyaLite checkout to load the pool from (compare two branches).
// Usage: node bench/functions/pool.ts [checkout=.] [concurrency=32] [total=5000]
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
const dir = path.resolve(process.argv[2] ?? '.')
const { WorkerPool } = await import(path.join(dir, 'engine/runtime/functions/worker-pool.ts'))
const { MAIN_SCRIPT, USER_SCRIPT } = await import(path.join(dir, 'engine/runtime/functions/deno-scripts.ts'))
const { denoBinary } = await import(path.join(dir, 'engine/runtime/functions/deno-binary.ts'))
const work = mkdtempSync(path.join(os.tmpdir(), 'wb-'))
const vdir = path.join(work, 'v'); mkdirSync(vdir); mkdirSync(path.join(work, 's')); mkdirSync(path.join(work, 'c'))
writeFileSync(path.join(vdir, 'fn.js'), "export default async () => new Response('Hello, world!', { headers: { 'content-type': 'text/plain' } })\n")
writeFileSync(path.join(vdir, 'user.js'), USER_SCRIPT); writeFileSync(path.join(vdir, 'main.js'), MAIN_SCRIPT)
const conc = Number(process.argv[3] ?? 32), total = Number(process.argv[4] ?? 5000)
const pool = new WorkerPool('v', { deno: denoBinary(process.env), versionDir: vdir, cacheDir: path.join(work, 'c'), allowNet: [], env: {}, heapMb: 128, startTimeoutMs: 20000 }, path.join(work, 's'), { min: 1, max: 1, perWorker: 64, maxWaiting: 100000, maxCallsPerWorker: 1e9 })
await pool.warm()
const msg = { requestId: 'r', method: 'GET', url: 'http://localhost/functions/hello', headers: [['accept', '*/*'], ['user-agent', 'wrk']], body: null, typed: false, caller: { userId: null, roles: [] }, env: [] }
const limits = { wallMs: 10000, cpuMs: 5000, rssBytes: 1e9 }
const tick = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return Number(x[11]) + Number(x[12]) }
const runN = async (n: number) => { let i = 0; await Promise.all(Array.from({ length: conc }, async () => { while (i++ < n) await pool.run(msg, limits, { stdout: '', stderr: '', memoryBytes: null }, async () => ({ status: 200, headers: [], body: null })) })) }
await runN(1000)
const pid = pool.pids[0]; const n0 = process.cpuUsage(); const d0 = tick(pid); const t0 = performance.now()
await runN(total)
const t = performance.now() - t0; const n1 = process.cpuUsage(n0); const d1 = tick(pid)
console.log(`conc=${conc} n=${total} rps=${Math.round(total / t * 1000)} node_us=${Math.round((n1.user + n1.system) / total)} deno_us=${Math.round((d1 - d0) * 10000 / total)}`)
await pool.kill(); process.exit(0)
