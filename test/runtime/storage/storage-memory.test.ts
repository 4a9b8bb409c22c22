import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChildServer, type ChildServer } from './child-process.ts'

const SIZE = 200 * 2 ** 20
const CHUNK = Buffer.alloc(2 ** 20)
for (let i = 0; i < CHUNK.length; i++) CHUNK[i] = (i * 31 + 7) & 0xff

// A 200 MB upload and download through a server in its own process: its resident memory may
// grow by less than 50 MB, so neither direction holds the file in memory.
describe('a 200 MB object', () => {
  let dir: string
  let server: ChildServer
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'koya-storage-rss-'))
    server = await startChildServer(dir)
  }, 150_000)
  afterAll(async () => {
    await server?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is uploaded and downloaded with the server\'s RSS growing by less than 50 MB', async () => {
    const { port } = new URL(server.url)
    // Warm up both directions (JIT, first-use allocations, the heap's young generation) before the baseline.
    const warm = (await fetch(`${server.url}/storage/open`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(8 * 2 ** 20, 1) }).then((r) => r.json())) as { id: string }
    await fetch(`${server.url}/storage/open/${warm.id}`).then((r) => r.arrayBuffer())
    const baseline = server.rss()
    let peak = baseline
    const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 20)
    try {
      const expected = createHash('sha256')
      const uploaded = await new Promise<{ id: string; size: number; sha256: string }>((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/storage/open?name=big.bin', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream', 'content-length': SIZE } }, (response) => {
          let text = ''
          response.on('data', (c: Buffer) => (text += c.toString()))
          response.on('end', () => (response.statusCode === 201 ? resolve(JSON.parse(text)) : reject(new Error(`${response.statusCode} ${text}`))))
        })
        request.on('error', reject)
        let sent = 0
        const write = () => {
          while (sent < SIZE) {
            sent += CHUNK.length
            expected.update(CHUNK)
            if (!request.write(CHUNK)) return void request.once('drain', write)
          }
          request.end()
        }
        write()
      })
      const digest = expected.digest('hex')
      expect(uploaded.size).toBe(SIZE)
      expect(uploaded.sha256).toBe(digest)
      const downloaded = await new Promise<{ size: number; sha256: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: `/storage/open/${uploaded.id}` }, (response) => {
          const hash = createHash('sha256')
          let size = 0
          response.on('data', (c: Buffer) => {
            size += c.length
            hash.update(c)
          })
          response.on('end', () => resolve({ size, sha256: hash.digest('hex') }))
          response.on('error', reject)
        })
      })
      expect(downloaded).toEqual({ size: SIZE, sha256: digest })
    } finally {
      clearInterval(sampler)
    }
    console.log(`storage RSS: baseline ${(baseline / 2 ** 20).toFixed(1)} MB, peak ${(peak / 2 ** 20).toFixed(1)} MB`)
    expect(peak - baseline).toBeLessThan(50 * 2 ** 20)
  }, 300_000)
})
