// Where a storage upload and download spend their time: the storage child server
// (test/runtime/storage/child-server.ts, local driver) runs under `node --cpu-prof` while this
// process uploads and downloads `--count` files of `--size` MiB through `POST /storage/open` and
// `GET /storage/open/<id>`; then the profile's self time by area and by function is printed.
// Usage: node bench/storage/profile.ts [--size 1] [--count 20] [--keep <dir>] [--node-options '--max-semi-space-size=32']
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startChildServer } from '../../test/runtime/storage/child-process.ts'
import { printProfileSummary, summarizeProfile } from '../rest/profile.ts'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MB = 1024 * 1024
const { values: args } = parseArgs({ options: { size: { type: 'string', default: '1' }, count: { type: 'string', default: '20' }, keep: { type: 'string' }, 'node-options': { type: 'string', default: '' } } })
const bytes = Number(args.size) * MB
const count = Number(args.count)
const block = Buffer.alloc(MB, 7)

/** CPU time (user + system) of process `pid` in ms, from /proc (clock ticks of 10 ms): robust to a busy machine where wall time is not. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-storage-profile-'))
const profiles = path.join(work, 'profiles')
const server = await startChildServer(path.join(work, 'server'), { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profiles} ${args['node-options']}` })
try {
  const ids: string[] = []
  let cpu = cpuMs(server.pid)
  let started = performance.now()
  for (let i = 0; i < count; i++) {
    const body = Readable.from((function* () {
      for (let sent = 0; sent < bytes; sent += 65_536) yield block.subarray(0, Math.min(65_536, bytes - sent))
    })())
    const answer = await fetch(`${server.url}/storage/open?name=p-${i}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream', 'content-length': String(bytes) }, body: Readable.toWeb(body) as ReadableStream, duplex: 'half' } as RequestInit)
    if (answer.status !== 201) throw new Error(`upload: ${answer.status} ${await answer.text()}`)
    ids.push(((await answer.json()) as { id: string }).id)
  }
  const upMs = performance.now() - started
  const upCpu = cpuMs(server.pid) - cpu
  cpu = cpuMs(server.pid)
  started = performance.now()
  for (const id of ids) {
    const answer = await fetch(`${server.url}/storage/open/${id}`)
    let n = 0
    for await (const chunk of answer.body!) n += (chunk as Uint8Array).length
    if (n !== bytes) throw new Error('short download')
  }
  const downMs = performance.now() - started
  const downCpu = cpuMs(server.pid) - cpu
  const total = (bytes * count) / MB
  console.log(`${count} × ${args.size} MiB: upload ${(total / (upMs / 1000)).toFixed(1)} MB/s, download ${(total / (downMs / 1000)).toFixed(1)} MB/s (wall, under the profiler)`)
  console.log(`server CPU per MiB: upload ${(upCpu / total).toFixed(2)} ms, download ${(downCpu / total).toFixed(2)} ms`)
} finally {
  // SIGTERM: the child server closes and exits, so V8 writes the profile.
  await server.kill('SIGTERM')
}
// tsx's loader thread writes a profile too: the server's main thread is the largest one.
const file = readdirSync(profiles)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort((a, b) => statSync(path.join(profiles, b)).size - statSync(path.join(profiles, a)).size)[0]
if (file === undefined) throw new Error('the server wrote no profile')
if (args.keep) copyFileSync(path.join(profiles, file), path.join(args.keep, file))
console.log(printProfileSummary(summarizeProfile(path.join(profiles, file), repo, 25)))
rmSync(work, { recursive: true, force: true })
