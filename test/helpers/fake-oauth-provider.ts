import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { OAuthEndpoints, OAuthProviderName } from '../../engine/runtime/auth/oauth/providers.ts'

/** The user the fake provider signs in as next. */
export interface FakeOAuthUser {
  readonly id: string
  readonly name: string | null
  /** GitHub: every address (`/user/emails`); Google: the first one is the account's. */
  readonly emails: readonly { readonly email: string; readonly primary: boolean; readonly verified: boolean }[]
}

export interface FakeOAuthProvider {
  readonly endpoints: Record<OAuthProviderName, OAuthEndpoints>
  readonly clientId: string
  readonly clientSecret: string
  /** Who the next authorization signs in as. */
  user: FakeOAuthUser
  /** What the token endpoint saw, newest last. */
  readonly exchanges: { readonly provider: OAuthProviderName; readonly ok: boolean; readonly reason?: string }[]
  close(): Promise<void>
}

interface Grant {
  readonly provider: OAuthProviderName
  readonly challenge: string | undefined
  readonly redirectUri: string
  readonly user: FakeOAuthUser
  used: boolean
}

/**
 * A local stand-in for GitHub and Google on 127.0.0.1 (an ephemeral port): authorize redirects
 * back with a code and the state, the token endpoint checks the client's credentials, the code,
 * the redirect URI and the PKCE verifier, and the profile endpoints describe `user`. GitHub's
 * token endpoint answers a refusal with 200 and an `error` field, as the real one does.
 */
export async function startFakeOAuthProvider(): Promise<FakeOAuthProvider> {
  const clientId = 'fake-client-id'
  const clientSecret = 'fake-client-secret'
  const grants = new Map<string, Grant>()
  const tokens = new Map<string, FakeOAuthUser>()
  const exchanges: { provider: OAuthProviderName; ok: boolean; reason?: string }[] = []

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error))
    })
  })
  // Node closes idle keep-alive sockets after 5 s; fetch may reuse one at that very moment and
  // read ECONNRESET (seen when a test starts about 5 s after the previous one's last request).
  // The fake outlives every client connection instead: close() ends them all.
  server.keepAliveTimeout = 10 * 60_000

  const fake: FakeOAuthProvider = {
    endpoints: undefined as never,
    clientId,
    clientSecret,
    user: { id: '1', name: 'Ada Lovelace', emails: [{ email: 'ada@example.com', primary: true, verified: true }] },
    exchanges,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // fetch keeps connections alive; close() would wait for them.
        server.closeAllConnections()
      }),
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const [, provider, ...rest] = url.pathname.split('/') as [string, OAuthProviderName, ...string[]]
    const route = `${request.method} /${rest.join('/')}`
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

    if (route === 'GET /authorize') {
      const q = url.searchParams
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code') return void json(400, { error: 'invalid_request' })
      const code = randomBytes(12).toString('hex')
      grants.set(code, { provider, challenge: q.get('code_challenge') ?? undefined, redirectUri: q.get('redirect_uri') ?? '', user: fake.user, used: false })
      const back = new URL(q.get('redirect_uri')!)
      back.searchParams.set('code', code)
      back.searchParams.set('state', q.get('state') ?? '')
      return void response.writeHead(302, { location: back.href }).end()
    }

    if (route === 'POST /token') {
      const form = new URLSearchParams(await readBody(request))
      const refuse = (reason: string) => {
        exchanges.push({ provider, ok: false, reason })
        // GitHub answers 200 with an error field; standard OAuth servers answer 400.
        return void json(provider === 'github' ? 200 : 400, { error: 'invalid_grant', error_description: reason })
      }
      const credentials = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString()
      if (credentials !== `${clientId}:${clientSecret}`) return refuse('client credentials')
      const grant = grants.get(form.get('code') ?? '')
      if (grant === undefined || grant.used || grant.provider !== provider) return refuse('unknown or used code')
      grant.used = true
      if (form.get('redirect_uri') !== grant.redirectUri) return refuse('redirect_uri')
      const verifier = form.get('code_verifier') ?? ''
      if (grant.challenge === undefined || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse('code_verifier')
      const accessToken = randomBytes(16).toString('hex')
      tokens.set(accessToken, grant.user)
      exchanges.push({ provider, ok: true })
      return void json(200, { access_token: accessToken, token_type: 'bearer', scope: '' })
    }

    const user = tokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''))
    if (user === undefined) return void json(401, { message: 'Bad credentials' })
    if (route === 'GET /api/user') return void json(200, { id: Number(user.id), login: `user${user.id}`, name: user.name, email: null })
    if (route === 'GET /api/user/emails') return void json(200, user.emails.map((e) => ({ ...e, visibility: null })))
    if (route === 'GET /userinfo') {
      const first = user.emails[0]
      return void json(200, { sub: user.id, name: user.name, ...(first ? { email: first.email, email_verified: first.verified } : {}) })
    }
    json(404, { message: 'Not Found' })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const endpointsOf = (provider: OAuthProviderName): OAuthEndpoints => ({
    authorize: `${root}/${provider}/authorize`,
    token: `${root}/${provider}/token`,
    profile: provider === 'github' ? `${root}/github/api` : `${root}/google/userinfo`,
  })
  ;(fake as { endpoints: Record<OAuthProviderName, OAuthEndpoints> }).endpoints = { github: endpointsOf('github'), google: endpointsOf('google') }
  return fake
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString()))
    request.on('error', reject)
  })
}
