import type { ProjectIR } from '../../ir/project-ir.ts'
import { literal } from '../ts-types.ts'
import type { ClientMember } from './print-client.ts'

/** `koya.storage`: one StorageBucket per bucket; none without buckets (the SDK is then unchanged). */
export function storageMembers(ir: ProjectIR): ClientMember[] {
  const buckets = ir.buckets ?? []
  if (buckets.length === 0) return []
  const type = `{ ${buckets.map((b) => `readonly ${literal(b.name)}: StorageBucket`).join('; ')} }`
  const create = `{ ${buckets.map((b) => `${literal(b.name)}: new StorageBucket(options, slot, transport, ${literal(b.name)})`).join(', ')} }`
  return [{ name: 'storage', doc: 'Files in the buckets (/storage/<bucket>): upload (plain or resumable), download, sign, delete, list.', type, create }]
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
  /** Called as bytes go out with the bytes sent so far and the total; the last call has sent === total. */
  readonly onProgress?: (sent: number, total: number) => void
  /** Stops the upload (KoyaClientError KL_CLIENT_ABORTED). */
  readonly signal?: AbortSignal
}

export interface ResumableUploadOptions extends UploadOptions {
  /** Bytes per PATCH request (default 5 MiB): what a cut connection can cost at most. */
  readonly chunkSize?: number
  /** Continue the upload at this URL (from onUploadUrl) instead of starting a new one. */
  readonly uploadUrl?: string
  /** Called once with the upload's URL: keep it to continue after a reload or a crash. */
  readonly onUploadUrl?: (url: string) => void
  /** How many times one chunk is tried again after a network failure or a server error (default 3). */
  readonly retries?: number
}

/** A finished resumable upload: the stored object's id. */
export interface ResumableUploadResult {
  readonly id: string
  readonly size: number
  /** The tus upload URL (HEAD on it names the object while the upload is remembered, 24 hours). */
  readonly uploadUrl: string
}

/** One HTTP answer of the storage namespace's own requests (uploads). */
interface StorageAnswer {
  readonly status: number
  header(name: string): string | null
  readonly text: string
}

const TUS_VERSION = '1.0.0'
const PROGRESS_SLICE = 64 * 1024

/** A value of tus Upload-Metadata: base64 of the UTF-8 bytes (btoa exists in browsers, Node and Deno). */
function base64Of(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function aborted(): KoyaClientError {
  return new KoyaClientError('KL_CLIENT_ABORTED', 'The upload was stopped by its AbortSignal.', { status: 0 })
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

  /**
   * Send one request with the client's token and headers. With onSent, progress follows the
   * bytes as they go: XMLHttpRequest's upload events in browsers, else a streamed body counted as
   * fetch reads it (the global fetch of Node and Deno).
   */
  async #send(method: string, url: string, headers: Record<string, string>, body: Blob | undefined, signal: AbortSignal | undefined, onSent?: (sent: number) => void): Promise<StorageAnswer> {
    const all: Record<string, string> = {}
    for (const [name, value] of Object.entries(this.#options.headers ?? {})) all[name.toLowerCase()] = value
    const token = typeof this.#slot.current === 'function' ? await this.#slot.current() : this.#slot.current
    if (token) all['authorization'] = 'Bearer ' + token
    Object.assign(all, headers)
    if (signal?.aborted) throw aborted()
    if (onSent !== undefined && body !== undefined && typeof XMLHttpRequest !== 'undefined') {
      // Browsers report upload progress only through XMLHttpRequest.
      return new Promise<StorageAnswer>((resolve, reject) => {
        const xhr = new XMLHttpRequest()
        xhr.open(method, url)
        for (const [header, value] of Object.entries(all)) xhr.setRequestHeader(header, value)
        xhr.upload.onprogress = (event) => onSent(event.loaded)
        xhr.onload = () => resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText })
        xhr.onerror = () => reject(new KoyaClientError('KL_CLIENT_NETWORK', method + ' ' + url + ' failed.', { status: 0 }))
        xhr.onabort = () => reject(aborted())
        signal?.addEventListener('abort', () => xhr.abort(), { once: true })
        xhr.send(body)
      })
    }
    const fetchFn = (this.#options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch) as unknown as (url: string, init: object) => Promise<FetchResponse>
    if (fetchFn === undefined) throw new KoyaClientError('KL_CLIENT_NETWORK', 'No fetch function is available in this runtime.', { status: 0, hint: 'Pass one: createClient({ url, fetch }).' })
    const init: Record<string, unknown> = { method, headers: all, ...(signal === undefined ? {} : { signal }) }
    if (body !== undefined && onSent !== undefined && this.#options.fetch === undefined && typeof ReadableStream !== 'undefined') {
      // The body is read from the Blob slice by slice as fetch pulls it: progress without holding a second copy.
      let at = 0
      init['body'] = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (at >= body.size) {
            controller.close()
            return
          }
          const slice = new Uint8Array(await body.slice(at, at + PROGRESS_SLICE).arrayBuffer())
          at += slice.length
          controller.enqueue(slice)
          onSent(at)
        },
      })
      init['duplex'] = 'half'
    } else if (body !== undefined) {
      init['body'] = new Uint8Array(await body.arrayBuffer())
    }
    let answer: FetchResponse
    let text: string
    try {
      answer = await fetchFn(url, init)
      text = await answer.text()
    } catch (cause) {
      if (signal?.aborted) throw aborted()
      throw new KoyaClientError('KL_CLIENT_NETWORK', method + ' ' + url + ' failed: ' + describe(cause) + '.', { status: 0, cause })
    }
    return { status: answer.status, header: (name) => answer.headers.get(name), text }
  }

  /** Upload one file (its type is sniffed by the server from the bytes). */
  async upload(body: UploadBody, options: UploadOptions = {}): Promise<StorageObject> {
    const blob = body instanceof Blob ? body : new Blob([body as BlobPart])
    const name = options.name ?? (typeof File !== 'undefined' && body instanceof File ? body.name : undefined)
    const url = this.#transport.urlOf(this.#path, name === undefined ? [] : [['name', name]])
    const total = blob.size
    const onProgress = options.onProgress
    let reported = -1
    const report = (sent: number) => {
      // Monotone: XMLHttpRequest may repeat a value, and the end is reported once.
      if (onProgress === undefined || sent <= reported) return
      reported = sent
      onProgress(sent, total)
    }
    const answer = await this.#send('POST', url, { accept: 'application/json', 'content-type': 'application/octet-stream' }, blob, options.signal, onProgress === undefined ? undefined : report)
    const parsed = answer.text === '' ? undefined : (JSON.parse(answer.text) as unknown)
    if (answer.status !== 201) throw errorOf(parsed, answer.status)
    report(total)
    return parsed as StorageObject
  }

  /**
   * Upload one file resumably, in chunks (the tus 1.0.0 protocol at /storage/<bucket>/resumable):
   * a cut connection costs at most one chunk, which is sent again from the offset the server kept.
   * Worth it above a few MB or on unreliable networks; the object is judged by the same limits,
   * types, rules and quotas as upload().
   *
   * @example
   * const { id } = await koya.storage.attachments.uploadResumable(file, { onProgress: (sent, total) => bar(sent / total), onUploadUrl: (url) => localStorage.setItem(file.name, url) })
   */
  async uploadResumable(body: UploadBody, options: ResumableUploadOptions = {}): Promise<ResumableUploadResult> {
    const blob = body instanceof Blob ? body : new Blob([body as BlobPart])
    const name = options.name ?? (typeof File !== 'undefined' && body instanceof File ? body.name : undefined)
    const total = blob.size
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? 5 * 1024 * 1024))
    const retries = options.retries ?? 3
    const signal = options.signal
    const tus = { 'tus-resumable': TUS_VERSION }
    const onProgress = options.onProgress
    let reported = -1
    const report = (sent: number) => {
      if (onProgress === undefined || sent <= reported) return
      reported = sent
      onProgress(sent, total)
    }
    const fail = (answer: StorageAnswer) => errorOf(answer.text === '' ? undefined : (JSON.parse(answer.text) as unknown), answer.status)
    const done = (id: string, uploadUrl: string): ResumableUploadResult => {
      report(total)
      return { id, size: total, uploadUrl }
    }

    let uploadUrl = options.uploadUrl
    let offset = 0
    const ask = async (url: string): Promise<{ offset: number; id: string | null }> => {
      const answer = await this.#send('HEAD', url, tus, undefined, signal)
      if (answer.status !== 200) throw fail(answer)
      return { offset: Number(answer.header('upload-offset')), id: answer.header('koya-object-id') }
    }
    if (uploadUrl === undefined) {
      const metadata: string[] = []
      if (name !== undefined) metadata.push('filename ' + base64Of(name))
      if (blob.type !== '') metadata.push('filetype ' + base64Of(blob.type))
      const created = await this.#send('POST', this.#transport.urlOf(this.#path + '/resumable'), { ...tus, accept: 'application/json', 'upload-length': String(total), ...(metadata.length === 0 ? {} : { 'upload-metadata': metadata.join(',') }) }, undefined, signal)
      if (created.status !== 201) throw fail(created)
      const location = created.header('location') ?? ''
      // The server answers a path; behind a proxy with a path prefix it is under the client's url.
      uploadUrl = location.startsWith('/') ? this.#transport.urlOf(location) : location
      options.onUploadUrl?.(uploadUrl)
      const id = created.header('koya-object-id')
      if (id !== null) return done(id, uploadUrl)
    } else {
      const state = await ask(uploadUrl)
      if (state.id !== null && state.offset === total) return done(state.id, uploadUrl)
      offset = state.offset
    }
    report(offset)

    let failures = 0
    for (;;) {
      const start = offset
      const chunk = blob.slice(start, Math.min(total, start + chunkSize))
      let answer: StorageAnswer | undefined
      try {
        answer = await this.#send('PATCH', uploadUrl, { ...tus, accept: 'application/json', 'content-type': 'application/offset+octet-stream', 'upload-offset': String(start) }, chunk, signal, onProgress === undefined ? undefined : (sent) => report(start + sent))
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'KL_CLIENT_NETWORK' || ++failures > retries) throw error
      }
      if (answer !== undefined && answer.status === 204) {
        offset = Number(answer.header('upload-offset'))
        failures = 0
        const id = answer.header('koya-object-id')
        if (id !== null) return done(id, uploadUrl)
        report(offset)
        continue
      }
      // 409: another offset than ours (a chunk landed partly); 5xx: try again. Both ask where the server is.
      if (answer !== undefined && answer.status !== 409 && answer.status < 500) throw fail(answer)
      if (answer !== undefined && ++failures > retries) throw fail(answer)
      const state = await ask(uploadUrl)
      if (state.id !== null && state.offset === total) return done(state.id, uploadUrl)
      offset = state.offset
    }
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
