/** An answer as a test reads it: the status, the headers and the body parsed when it is JSON. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
}

/** The client a persona gets when the test gives no SDK: plain HTTP with its bearer token. */
export interface HttpClient {
  readonly url: string
  readonly token: string | undefined
  request(method: string, path: string, body?: unknown, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>
  get(path: string, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>
  post(path: string, body?: unknown, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>
  patch(path: string, body?: unknown, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>
  delete(path: string, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>
}

/**
 * @example
 * const client = createHttpClient({ url: app.url, token })
 * const { status, body } = await client.get('/api/notes?order=createdAt.desc')
 */
export function createHttpClient(options: { readonly url: string; readonly token?: string }): HttpClient {
  const request = async (method: string, path: string, body?: unknown, headers: Readonly<Record<string, string>> = {}): Promise<HttpAnswer> => {
    const response = await fetch(options.url + path, {
      method,
      headers: {
        ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await response.text()
    const json = (response.headers.get('content-type') ?? '').includes('json') && text !== ''
    return { status: response.status, headers: response.headers, body: json ? (JSON.parse(text) as unknown) : text }
  }
  return {
    url: options.url,
    token: options.token,
    request,
    get: (path, headers) => request('GET', path, undefined, headers),
    post: (path, body, headers) => request('POST', path, body, headers),
    patch: (path, body, headers) => request('PATCH', path, body, headers),
    delete: (path, headers) => request('DELETE', path, undefined, headers),
  }
}
