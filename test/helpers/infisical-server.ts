import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'

/** One folder of one environment: its own secrets and the folders it imports (in order). */
export interface StandInFolder {
  readonly secrets: Record<string, string>
  readonly imports?: readonly { readonly environment: string; readonly path: string }[]
}

export interface InfisicalStandIn {
  readonly url: string
  /** `${environment}:${path}` → folder, of the one project `projectId`. */
  readonly folders: Map<string, StandInFolder>
  readonly projectId: string
  readonly clientId: string
  readonly clientSecret: string
  /** Requests by kind, with what they carried (never checked by the server beyond Infisical's own rules). */
  readonly calls: { login: number; list: number; queries: URLSearchParams[] }
  /** Access token lifetime given at login, seconds. */
  tokenTtlSeconds: number
  /** Answer every request with this status (Infisical's error body), or never answer ('hang'); null: behave. */
  failure: number | 'hang' | null
  /** Forget every issued token (a revocation): the next read with one is 401. */
  revokeTokens(): void
  close(): Promise<void>
}

/**
 * A small local stand-in of Infisical's REST API, the two endpoints a machine identity uses to read
 * secrets: `POST /api/v1/auth/universal-auth/login` (`{ clientId, clientSecret }` → `{ accessToken,
 * expiresIn, accessTokenMaxTTL, tokenType }`) and `GET /api/v3/secrets/raw` (`workspaceId`,
 * `environment`, `secretPath`, `include_imports`, bearer token → `{ secrets, imports }`), with
 * Infisical's error body `{ reqId, statusCode, message, error }`.
 */
export async function startInfisicalStandIn(): Promise<InfisicalStandIn> {
  const tokens = new Set<string>()
  const state = {
    folders: new Map<string, StandInFolder>(),
    projectId: '6f1d2c3b-0a9e-4d8c-b7a6-5e4f3d2c1b0a',
    clientId: 'a3b1c2d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    clientSecret: randomBytes(32).toString('hex'),
    calls: { login: 0, list: 0, queries: [] as URLSearchParams[] },
    tokenTtlSeconds: 7200,
    failure: null as number | 'hang' | null,
  }
  const hanging = new Set<ServerResponse>()

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(body))
  }
  const error = (res: ServerResponse, status: number, name: string, message: string) => send(res, status, { reqId: `req-${randomBytes(6).toString('hex')}`, statusCode: status, message, error: name })
  const raw = (environment: string, path: string, secrets: Record<string, string>) =>
    Object.entries(secrets).map(([secretKey, secretValue], i) => ({
      id: `${environment}-${path}-${i}`,
      _id: `${environment}-${path}-${i}`,
      workspace: state.projectId,
      environment,
      version: 1,
      type: 'shared',
      secretKey,
      secretValue,
      secretComment: '',
      secretPath: path,
    }))

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (state.failure === 'hang') {
      hanging.add(res)
      return
    }
    if (state.failure !== null) return error(res, state.failure, 'InternalServerError', 'Something went wrong')
    if (req.method === 'POST' && url.pathname === '/api/v1/auth/universal-auth/login') {
      state.calls.login++
      let body: { clientId?: unknown; clientSecret?: unknown }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body
      } catch {
        return error(res, 400, 'BadRequestError', 'Invalid JSON body')
      }
      if (body.clientId !== state.clientId || body.clientSecret !== state.clientSecret) return error(res, 401, 'UnauthorizedError', 'Invalid credentials')
      const accessToken = randomBytes(24).toString('base64url')
      tokens.add(accessToken)
      return send(res, 200, { accessToken, expiresIn: state.tokenTtlSeconds, accessTokenMaxTTL: 2_592_000, tokenType: 'Bearer' })
    }
    if (req.method === 'GET' && url.pathname === '/api/v3/secrets/raw') {
      state.calls.list++
      state.calls.queries.push(url.searchParams)
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      if (token === undefined || !tokens.has(token)) return error(res, 401, 'UnauthorizedError', 'Token invalid or expired')
      const projectId = url.searchParams.get('workspaceId')
      const environment = url.searchParams.get('environment') ?? ''
      const path = url.searchParams.get('secretPath') ?? '/'
      if (projectId !== state.projectId) return error(res, 404, 'NotFoundError', `Project with ID '${projectId}' not found`)
      const folder = state.folders.get(`${environment}:${path}`)
      if (folder === undefined) return error(res, 404, 'NotFoundError', `Folder with path '${path}' in environment with slug '${environment}' not found`)
      const withImports = url.searchParams.get('include_imports') === 'true'
      const imports = withImports
        ? (folder.imports ?? []).map((imp) => {
            const imported = state.folders.get(`${imp.environment}:${imp.path}`)
            return { secretPath: imp.path, environment: imp.environment, folderId: `${imp.environment}-${imp.path}`, secrets: raw(imp.environment, imp.path, imported?.secrets ?? {}) }
          })
        : []
      return send(res, 200, { secrets: raw(environment, path, folder.secrets), imports })
    }
    return error(res, 404, 'NotFoundError', `Route ${req.method}:${url.pathname} not found`)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => error(res, 500, 'InternalServerError', 'stand-in failure'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    revokeTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

/** A port nothing listens on (bound, then released): where an unreachable Infisical "is". */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
