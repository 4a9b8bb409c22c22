import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { startChildServer, type ChildServer } from './child-process.ts'

// kill -9 while uploads stream: after a restart no half object is visible (no row, no file
// under a key), the temp files are gone, and the object that completed before is whole.
describe('kill -9 during uploads', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-storage-crash-'))
  let server: ChildServer | undefined
  afterAll(async () => {
    await server?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('leaves no half object visible', async () => {
    server = await startChildServer(dir)
    const done = (await (await fetch(`${server.url}/storage/open?name=done.bin`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(100_000, 9) })).json()) as { id: string; sha256: string }
    const { port } = new URL(server.url)
    const sockets = await Promise.all(
      [1, 2, 3].map(
        (i) =>
          new Promise<net.Socket>((resolve) => {
            const socket = net.connect(Number(port), '127.0.0.1', () => {
              socket.write(`POST /storage/open?name=half-${i} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server!.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 50000000\r\n\r\n`)
              socket.write(Buffer.alloc(2_000_000, i))
              resolve(socket)
            })
            socket.on('error', () => {})
          }),
      ),
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const temp = readdirSync(path.join(dir, 'storage', '.tmp'))
    expect(temp.length).toBe(3)
    await server.kill('SIGKILL')
    for (const socket of sockets) socket.destroy()

    server = await startChildServer(dir)
    expect(readdirSync(path.join(dir, 'storage', '.tmp'))).toEqual([])
    const db = new Database(path.join(dir, 'app.db'), { readonly: true })
    const rows = db.prepare('SELECT "name", "key" FROM "_koya_objects"').all() as { name: string; key: string }[]
    db.close()
    expect(rows.map((r) => r.name)).toEqual(['done.bin'])
    const files = readdirSync(path.join(dir, 'storage', 'open'))
    expect(files).toEqual([rows[0]!.key.split('/')[1]])
    const body = await fetch(`${server.url}/storage/open/${done.id}`)
    expect(body.status).toBe(200)
    const { createHash } = await import('node:crypto')
    expect(createHash('sha256').update(Buffer.from(await body.arrayBuffer())).digest('hex')).toBe(done.sha256)
  }, 300_000)
})
