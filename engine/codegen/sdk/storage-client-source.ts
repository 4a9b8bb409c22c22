import type { ProjectIR } from '../../ir/project-ir.ts'
import { literal } from '../ts-types.ts'
import type { ClientMember } from './print-client.ts'

/** `koya.storage`: one StorageBucket per bucket; none without buckets (the SDK is then unchanged). */
export function storageMembers(ir: ProjectIR): ClientMember[] {
  const buckets = ir.buckets ?? []
  if (buckets.length === 0) return []
  const type = `{ ${buckets.map((b) => `readonly ${literal(b.name)}: StorageBucket`).join('; ')} }`
  const create = `{ ${buckets.map((b) => `${literal(b.name)}: new StorageBucket(options, slot, transport, ${literal(b.name)})`).join(', ')} }`
  return [{ name: 'storage', doc: 'Files in the buckets (/storage/<bucket>): upload, download, sign, delete, list.', type, create }]
}

/** The StorageBucket class, printed into the SDK only when the app has buckets. */
export const storageClientSource = `
// ─── Storage ────────────────────────────────────────────────────────────────────────────────────

/** A stored object, as the server answers it. */
export interface StorageObject {
  readonly id: string
  readonly bucket: string
  readonly name: string
  readonly size: number
  readonly contentType: string
  readonly ownerId: string | null
  readonly sha256: string
  readonly metadata: Readonly<Record<string, unknown>>
  readonly createdAt: string
}

/** What upload takes: bytes, a Blob (a File in browsers) or text. */
export type UploadBody = Blob | ArrayBuffer | Uint8Array | string

export interface UploadOptions {
  /** The object's name (default: the File's name, else its id). */
  readonly name?: string
  /** Called with the bytes sent so far and the total. */
  readonly onProgress?: (sent: number, total: number) => void
}

/** One bucket: koya.storage.<bucket>. */
class StorageBucket {
  readonly #options: ClientOptions
  readonly #slot: TokenSlot
  readonly #transport: KoyaTransport
  readonly #path: string

  constructor(options: ClientOptions, slot: TokenSlot, transport: KoyaTransport, bucket: string) {
    this.#options = options
    this.#slot = slot
    this.#transport = transport
    this.#path = '/storage/' + bucket
  }

  /** Upload one file (its type is sniffed by the server from the bytes). */
  async upload(body: UploadBody, options: UploadOptions = {}): Promise<StorageObject> {
    const blob = body instanceof Blob ? body : new Blob([body as BlobPart])
    const name = options.name ?? (typeof File !== 'undefined' && body instanceof File ? body.name : undefined)
    const url = this.#transport.urlOf(this.#path, name === undefined ? [] : [['name', name]])
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/octet-stream' }
    const token = typeof this.#slot.current === 'function' ? await this.#slot.current() : this.#slot.current
    if (token) headers['authorization'] = 'Bearer ' + token
    const total = blob.size
    let response: { status: number; text: string }
    if (options.onProgress !== undefined && typeof XMLHttpRequest !== 'undefined') {
      // Browsers report upload progress only through XMLHttpRequest.
      const onProgress = options.onProgress
      response = await new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest()
        xhr.open('POST', url)
        for (const [header, value] of Object.entries(headers)) xhr.setRequestHeader(header, value)
        xhr.upload.onprogress = (event) => onProgress(event.loaded, total)
        xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText })
        xhr.onerror = () => reject(new KoyaClientError('KL_CLIENT_NETWORK', 'POST ' + url + ' failed.', { status: 0 }))
        xhr.send(blob)
      })
    } else {
      const bytes = new Uint8Array(await blob.arrayBuffer())
      const fetchFn = (this.#options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch) as unknown as (url: string, init: object) => Promise<FetchResponse>
      const answer = await fetchFn(url, { method: 'POST', headers, body: bytes })
      options.onProgress?.(total, total)
      response = { status: answer.status, text: await answer.text() }
    }
    const parsed = response.text === '' ? undefined : (JSON.parse(response.text) as unknown)
    if (response.status !== 201) throw errorOf(parsed, response.status)
    return parsed as StorageObject
  }

  /** The object's bytes (the caller must be allowed to read it). */
  async download(id: string): Promise<Blob> {
    const headers: Record<string, string> = {}
    const token = typeof this.#slot.current === 'function' ? await this.#slot.current() : this.#slot.current
    if (token) headers['authorization'] = 'Bearer ' + token
    const fetchFn = (this.#options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch) as unknown as (url: string, init: object) => Promise<FetchResponse & { blob(): Promise<Blob> }>
    const answer = await fetchFn(this.#transport.urlOf(this.#path + '/' + encodeURIComponent(id)), { method: 'GET', headers })
    if (answer.status !== 200) {
      const text = await answer.text()
      throw errorOf(text === '' ? undefined : (JSON.parse(text) as unknown), answer.status)
    }
    return answer.blob()
  }

  /** A URL anyone may download the object with for expiresIn seconds (default 3600). */
  async sign(id: string, expiresIn = 3600): Promise<{ url: string; expiresAt: string }> {
    const answer = await this.#transport.request({ method: 'POST', path: this.#path + '/' + encodeURIComponent(id) + '/sign', body: { expiresIn } })
    const signed = answer.body as { url: string; expiresAt: string }
    return { url: this.#transport.urlOf(signed.url.split('?')[0]!, [...new URLSearchParams(signed.url.split('?')[1] ?? '')]), expiresAt: signed.expiresAt }
  }

  /** The caller's own objects, by name. */
  async list(options: { prefix?: string; limit?: number; offset?: number } = {}): Promise<StorageObject[]> {
    const params: [string, string][] = []
    if (options.prefix !== undefined) params.push(['prefix', options.prefix])
    if (options.limit !== undefined) params.push(['limit', String(options.limit)])
    if (options.offset !== undefined) params.push(['offset', String(options.offset)])
    return (await this.#transport.request({ method: 'GET', path: this.#path, params })).body as StorageObject[]
  }

  /** Change the object's name or metadata. */
  async update(id: string, patch: { name?: string; metadata?: Record<string, unknown> }): Promise<StorageObject> {
    return (await this.#transport.request({ method: 'PATCH', path: this.#path + '/' + encodeURIComponent(id), body: patch })).body as StorageObject
  }

  /** Delete the object. */
  async delete(id: string): Promise<void> {
    await this.#transport.request({ method: 'DELETE', path: this.#path + '/' + encodeURIComponent(id) })
  }

  /** Delete the caller's own objects whose names start with prefix; resolves to how many. */
  async deletePrefix(prefix: string): Promise<number> {
    return ((await this.#transport.request({ method: 'DELETE', path: this.#path, params: [['prefix', prefix]] })).body as { deleted: number }).deleted
  }
}
`
