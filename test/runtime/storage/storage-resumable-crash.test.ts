import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { startChildServer, type ChildServer } from './child-process.ts'
import { tusUpload } from './tus-client.ts'

// kill -9 of the server in the middle of a resumable upload: no object is visible meanwhile, and
// after a restart the real tus-js-client resumes from the offset the server kept, not from 0.
describe('kill -9 during a resumable upload', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-resumable-crash-'))
  let server: ChildServer | undefined
  afterAll(async () => {
    await server?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('resumes after a restart and stores the object whole', async () => {
    server = await startChildServer(dir)
    const bytes = randomBytes(4 * 1024 * 1024)
    const chunkSize = 512 * 1024
    let killed: Promise<void> | undefined
    const first = tusUpload(`${server.url}/storage/open/resumable`, bytes, {
      headers: { authorization: `Bearer ${server.token}` },
      chunkSize,
      retryDelays: [],
      metadata: { filename: 'crash.bin' },
      onChunkComplete: (_chunk, accepted) => {
        if (accepted >= 3 * chunkSize && killed === undefined) killed = server!.kill('SIGKILL')
      },
    })
    await first.promise.then(
      () => expect.fail('the upload finished before the kill'),
      () => undefined,
    )
    await killed
    const uploadPath = new URL(first.upload.url!).pathname
    const rows = () => {
      const db = new Database(path.join(dir, 'app.db'), { readonly: true })
      try {
        return db.prepare('SELECT "name", "size" FROM "_koya_objects"').all()
      } finally {
        db.close()
      }
    }
    expect(rows()).toEqual([])

    server = await startChildServer(dir)
    const headers = { authorization: `Bearer ${server.token}` }
    const state = await fetch(`${server.url}${uploadPath}`, { method: 'HEAD', headers: { ...headers, 'tus-resumable': '1.0.0' } })
    const kept = Number(state.headers.get('upload-offset'))
    expect(kept).toBeGreaterThanOrEqual(3 * chunkSize)
    expect(kept).toBeLessThan(bytes.length)
    const offsets: number[] = []
    const resumed = await tusUpload(`${server.url}/storage/open/resumable`, bytes, {
      headers,
      chunkSize,
      uploadUrl: `${server.url}${uploadPath}`,
      onChunkComplete: (_chunk, accepted) => offsets.push(accepted),
    }).promise
    expect(offsets[0]).toBeGreaterThan(kept)
    expect(rows()).toEqual([{ name: 'crash.bin', size: bytes.length }])
    const body = Buffer.from(await (await fetch(`${server.url}/storage/open/${resumed.objectId}`)).arrayBuffer())
    expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'))
  }, 300_000)
})
