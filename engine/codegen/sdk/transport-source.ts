/**
 * The HTTP half of the SDK, the same for every app: client options, the transport every
 * namespace of the client sends its requests through, and KoyaClientError. Printed verbatim into
 * generated/sdk/index.ts. It needs only fetch (global, or passed in) and encodeURIComponent, so
 * it runs in browsers, Node and Deno, and type-checks without the DOM or Node type libraries.
 *
 * Written as String.raw text: the SDK code in it uses no backticks and no template literals.
 */
export const transportSource = String.raw`
/**
 * A failed request: the server's stable code (KL_API_*, KL_AUTH_*), the HTTP status, a message naming the
 * problem and a hint naming the next step. When no answer came, the code is KL_CLIENT_NETWORK
 * (status 0); when the answer is not what a KoyaLite server sends, KL_CLIENT_BAD_RESPONSE.
 *
 * @example
 * catch (error) {
 *   if (error instanceof KoyaClientError && error.code === 'KL_API_NOT_FOUND') return null
 *   throw error
 * }
 */
export class KoyaClientError extends Error {
  override readonly name = 'KoyaClientError'
  readonly code: KoyaErrorCode
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number
  readonly hint: string | undefined

  constructor(code: KoyaErrorCode, message: string, options: { readonly status: number; readonly hint?: string | undefined; readonly cause?: unknown }) {
    super(message)
    // Set like a native cause; super(message, { cause }) would need lib ES2022 to type-check.
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true })
    this.code = code
    this.status = options.status
    this.hint = options.hint
  }
}

// ─── HTTP ───────────────────────────────────────────────────────────────────────────────────────

export interface ClientOptions {
  /** The server: 'http://127.0.0.1:3000', or a URL with a path prefix behind a proxy. */
  readonly url: string
  /**
   * Sent as 'Authorization: Bearer <token>': a session token, or the service key in server-side
   * code only. A function is called before every request (for tokens that change).
   */
  readonly token?: string | null | undefined | (() => string | null | undefined | Promise<string | null | undefined>)
  /** The fetch to use; the global one by default. */
  readonly fetch?: FetchLike | undefined
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Opens the realtime WebSocket; the global WebSocket by default. */
  readonly webSocket?: WebSocketFactory | undefined
}

/**
 * The token the client sends: createClient's token until the auth namespace signs in or out.
 * While an admin impersonates, their own token waits in saved.
 */
export interface TokenSlot {
  current: ClientOptions['token']
  saved?: { token: ClientOptions['token'] } | undefined
}

/** What the client needs of fetch: the global fetch of browsers, Node and Deno fits. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<FetchResponse>

export interface FetchResponse {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  text(): Promise<string>
  /** Needed only by the methods that answer bytes (an archive); every fetch of browsers, Node and Deno has it. */
  arrayBuffer?(): Promise<ArrayBuffer>
}

/** One HTTP exchange with the server: what every namespace of the client is built on. */
export interface KoyaTransport {
  request(request: KoyaRequest): Promise<KoyaResponse>
  /** The same exchange for an answer that is a file (an archive): its bytes; an error answer throws as request does. */
  requestBytes(request: KoyaRequest): Promise<Uint8Array>
  /** The absolute URL of a path of the server, with query parameters: for links the browser opens. */
  urlOf(path: string, params?: readonly (readonly [name: string, value: string])[]): string
}

export interface KoyaRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** From the server root: '/api/<table>'. */
  readonly path: string
  /** Query parameters, in order; a name may repeat. */
  readonly params?: readonly (readonly [name: string, value: string])[]
  /** Sent as JSON. */
  readonly body?: unknown
  /** Items of the Prefer header: 'return=representation', 'count=exact'. */
  readonly prefer?: readonly string[]
}

export interface KoyaResponse {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  /** The JSON body, parsed; undefined when the body is empty. */
  readonly body: unknown
}

/**
 * Sends requests to options.url with the token and headers; an answer outside 2xx throws
 * KoyaClientError. The token is read from slot on every request: it starts as options.token, and
 * the auth namespace replaces it when it signs in or out.
 */
function createTransport(options: ClientOptions, slot: TokenSlot): KoyaTransport {
  const base = options.url.replace(/\/+$/, '')
  const urlOf = (path: string, params: readonly (readonly [name: string, value: string])[] = []): string => {
    const query = params.map(([name, value]) => encodeURIComponent(name) + '=' + encodeURIComponent(value)).join('&')
    return query === '' ? base + path : base + path + '?' + query
  }
  const defaults: Record<string, string> = { accept: 'application/json' }
  // Lower-case names, so a caller's 'Authorization' replaces ours instead of joining it.
  for (const [name, value] of Object.entries(options.headers ?? {})) defaults[name.toLowerCase()] = value
  const networkError = (request: KoyaRequest, cause: unknown): KoyaClientError =>
    new KoyaClientError('KL_CLIENT_NETWORK', request.method + ' ' + base + request.path + ' failed: ' + describe(cause) + '.', {
      status: 0,
      hint: 'Check the url passed to createClient and that the server is running and reachable.',
      cause,
    })
  /** Send the request with the token and headers; the answer, unread. */
  const send = async (request: KoyaRequest, accept: string): Promise<FetchResponse> => {
    // Called as a plain function: some browsers refuse a fetch called as a method of another object.
    const fetchFn = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch
    if (fetchFn === undefined) {
      throw new KoyaClientError('KL_CLIENT_NETWORK', 'No fetch function is available in this runtime.', { status: 0, hint: 'Pass one: createClient({ url, fetch }).' })
    }
    const headers = { ...defaults }
    if (accept !== 'application/json') headers['accept'] = accept
    const token = typeof slot.current === 'function' ? await slot.current() : slot.current
    if (token) headers['authorization'] = 'Bearer ' + token
    if (request.prefer !== undefined && request.prefer.length > 0) headers['prefer'] = request.prefer.join(',')
    const init: { method: string; headers: Record<string, string>; body?: string } = { method: request.method, headers }
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(request.body)
    }
    try {
      return await fetchFn(urlOf(request.path, request.params), init)
    } catch (cause) {
      throw networkError(request, cause)
    }
  }
  return {
    urlOf,
    async request(request) {
      const response = await send(request, 'application/json')
      let text: string
      try {
        text = await response.text()
      } catch (cause) {
        throw networkError(request, cause)
      }
      const body = parseBody(text, response.status)
      if (response.status < 200 || response.status > 299) throw errorOf(body, response.status)
      return { status: response.status, headers: response.headers, body }
    },
    async requestBytes(request) {
      const response = await send(request, 'application/octet-stream, application/json')
      if (response.status < 200 || response.status > 299) {
        let text = ''
        try {
          text = await response.text()
        } catch (cause) {
          throw networkError(request, cause)
        }
        throw errorOf(parseBody(text, response.status), response.status)
      }
      if (response.arrayBuffer === undefined) {
        throw new KoyaClientError('KL_CLIENT_BAD_RESPONSE', 'The fetch given to createClient cannot read bytes (its response has no arrayBuffer()).', { status: response.status, hint: 'Pass a fetch whose responses have arrayBuffer(), as the global fetch does.' })
      }
      try {
        return new Uint8Array(await response.arrayBuffer())
      } catch (cause) {
        throw networkError(request, cause)
      }
    },
  }
}

function parseBody(text: string, status: number): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    if (status < 200 || status > 299) return undefined
    throw new KoyaClientError('KL_CLIENT_BAD_RESPONSE', 'The server answered ' + status + ' with a body that is not JSON.', { status, hint: 'Check that the url points at a KoyaLite server.' })
  }
}

/** The server's { code, message, hint } as a KoyaClientError. */
function errorOf(body: unknown, status: number): KoyaClientError {
  const error = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown; hint?: unknown }
  if (typeof error.code === 'string' && typeof error.message === 'string') {
    return new KoyaClientError(error.code, error.message, { status, hint: typeof error.hint === 'string' ? error.hint : undefined })
  }
  return new KoyaClientError('KL_CLIENT_BAD_RESPONSE', 'The server answered ' + status + ' without an error code.', { status, hint: 'Check that the url points at a KoyaLite server.' })
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  // Node's fetch says 'fetch failed' and keeps the reason (ECONNREFUSED…) as its cause.
  const reason = (cause as { cause?: unknown }).cause
  return reason instanceof Error ? cause.message + ' (' + reason.message + ')' : cause.message
}
`
