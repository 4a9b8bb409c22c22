// The real tus-js-client driven as a promise, for the resumable upload tests.
import net from 'node:net'
import { Upload, type UploadOptions } from 'tus-js-client'

export interface TusResult {
  readonly url: string
  readonly objectId: string | null
}

/** Upload `bytes` to `endpoint` with tus-js-client; resolves with the upload URL and the object id the last response named. */
export function tusUpload(endpoint: string, bytes: Buffer, options: Partial<UploadOptions> = {}): { promise: Promise<TusResult>; upload: Upload } {
  let upload!: Upload
  const promise = new Promise<TusResult>((resolve, reject) => {
    upload = new Upload(bytes, {
      endpoint,
      chunkSize: 256 * 1024,
      retryDelays: [0, 100, 300],
      ...options,
      onError: (error) => {
        options.onError?.(error)
        reject(error)
      },
      onSuccess: (payload) => resolve({ url: upload.url!, objectId: payload.lastResponse.getHeader('Koya-Object-Id') ?? null }),
    })
    upload.start()
  })
  return { promise, upload }
}

/**
 * A TCP proxy in front of `target` that cuts the first connection whose request is a PATCH after
 * `cutAfter` bytes of it went through; records the Upload-Offset of every PATCH it forwards.
 */
export async function cuttingProxy(target: { host: string; port: number }, cutAfter: number): Promise<{ url: string; offsets: number[]; cuts: number; close(): Promise<void> }> {
  const state = { offsets: [] as number[], cuts: 0 }
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    const upstream = net.connect(target.port, target.host)
    sockets.add(upstream)
    let forwarded = 0
    let isPatch = false
    client.on('data', (chunk: Buffer) => {
      const text = chunk.subarray(0, 2048).toString('latin1')
      if (text.startsWith('PATCH ')) {
        isPatch = true
        forwarded = 0
        const offset = /upload-offset:\s*(\d+)/i.exec(text)
        if (offset) state.offsets.push(Number(offset[1]))
      }
      forwarded += chunk.length
      upstream.write(chunk)
      if (isPatch && state.cuts === 0 && forwarded >= cutAfter) {
        state.cuts++
        client.destroy()
        upstream.destroy()
      }
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    offsets: state.offsets,
    get cuts() {
      return state.cuts
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
