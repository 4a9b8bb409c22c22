import { KoyaError } from '../../shared/errors.ts'

/** Where and as whom the secrets are read: model.json's SecretsIR with its settings resolved. */
export interface InfisicalConnection {
  /** `https://app.infisical.com` or a self-hosted instance (no trailing slash needed). */
  readonly siteUrl: string
  readonly projectId: string
  /** The Infisical environment slug (`dev`, `staging`, `prod`). */
  readonly environment: string
  /** The folder, `/` or `/a/b`. */
  readonly path: string
  readonly clientId: string
  readonly clientSecret: string
  readonly timeoutMs: number
}

/** A secrets provider as the loader uses it: every read asks the provider; `cached` is the last good answer. */
export interface SecretsSource {
  /** `infisical https://app.infisical.com project p, environment prod, path /` (no credential). */
  readonly description: string
  /** Name → value of every secret, imports included. @throws KoyaError KL_ENV_SECRETS_UNREACHABLE, KL_ENV_SECRETS_REFUSED */
  read(): Promise<Record<string, string>>
  /** The values of the last read that succeeded; undefined before one has. */
  cached(): Readonly<Record<string, string>> | undefined
}

interface RawSecret {
  readonly secretKey: string
  readonly secretValue: string
}

interface Token {
  readonly value: string
  /** Epoch ms after which it is not used any more (a margin before Infisical's expiry). */
  readonly usableUntil: number
}

/**
 * Infisical's REST API as the official SDK (@infisical/sdk 5) calls it, over fetch: universal-auth
 * login (`POST /api/v1/auth/universal-auth/login`), then the raw secrets of one folder with its
 * imports (`GET /api/v3/secrets/raw`). The access token is kept until shortly before it expires, so
 * a refresh does not log in again; a 401 on a kept token logs in once more. Direct secrets win over
 * imported ones, and an earlier import over a later one (the SDK's order). Secret values never
 * appear in an error.
 *
 * @example
 * const source = createInfisicalSource({ siteUrl: 'https://app.infisical.com', projectId, environment: 'prod', path: '/', clientId, clientSecret, timeoutMs: 10_000 })
 * const values = await source.read() // { STRIPE_KEY: 'sk_live_…', … }
 */
export function createInfisicalSource(connection: InfisicalConnection, options: { readonly now?: () => number } = {}): SecretsSource {
  const now = options.now ?? Date.now
  const base = connection.siteUrl.replace(/\/+$/, '')
  const description = `infisical ${base} project ${connection.projectId}, environment ${connection.environment}, path ${connection.path}`
  let token: Token | undefined
  let last: Record<string, string> | undefined

  const call = async (what: string, url: string, init: RequestInit): Promise<{ status: number; body: unknown }> => {
    let response: Response
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(connection.timeoutMs) })
    } catch (cause) {
      const reason = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${connection.timeoutMs} ms` : causeText(cause)
      throw unreachable(`Infisical at ${base} could not be reached while ${what} (${reason}).`, cause)
    }
    const text = await response.text().catch(() => '')
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = undefined
    }
    if (response.status >= 500 || response.status === 429) throw unreachable(`Infisical at ${base} answered ${response.status} while ${what}${messageOf(body)}.`)
    if (response.ok && (typeof body !== 'object' || body === null)) throw unreachable(`${base} did not answer as Infisical's API does while ${what} (status ${response.status}, not a JSON object).`)
    return { status: response.status, body }
  }

  const login = async (): Promise<Token> => {
    const { status, body } = await call('logging in (universal auth)', `${base}/api/v1/auth/universal-auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: connection.clientId, clientSecret: connection.clientSecret }),
    })
    if (status >= 400) throw refused(`Infisical at ${base} refused the machine identity's login (${status}${messageOf(body)}).`, 'Check the universal-auth client id and secret of the machine identity (Access Control → Machine Identities), and that they are the variables secrets.clientId and secrets.clientSecret name.')
    const { accessToken, expiresIn } = body as { accessToken?: unknown; expiresIn?: unknown }
    if (typeof accessToken !== 'string' || accessToken === '') throw unreachable(`${base} did not answer the login as Infisical's API does (no accessToken).`)
    const lifetimeMs = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : 0
    // Used until 90 % of its life (at most a minute before the end), so a request never carries an expiring token.
    return { value: accessToken, usableUntil: now() + Math.max(0, Math.min(lifetimeMs * 0.9, lifetimeMs - 60_000)) }
  }

  const list = async (current: Token): Promise<{ status: number; body: unknown }> => {
    const query = new URLSearchParams({
      workspaceId: connection.projectId,
      environment: connection.environment,
      secretPath: connection.path,
      expandSecretReferences: 'true',
      include_imports: 'true',
      recursive: 'false',
      viewSecretValue: 'true',
    })
    return call('reading secrets', `${base}/api/v3/secrets/raw?${query}`, { headers: { authorization: `Bearer ${current.value}` } })
  }

  return {
    description,
    cached: () => last,
    async read() {
      const kept = token !== undefined && now() < token.usableUntil
      let current = kept ? token! : await login()
      token = current
      let answer = await list(current)
      if (answer.status === 401 && kept) {
        // Revoked or expired early: one fresh login.
        current = token = await login()
        answer = await list(current)
      }
      if (answer.status >= 400) {
        if (answer.status === 401) token = undefined
        throw refused(`Infisical refused to read the secrets of ${description.slice('infisical '.length)} (${answer.status}${messageOf(answer.body)}).`, 'Check that the machine identity is a member of the project with read access, and projectId, environment and path of secrets in koyalite.ts.')
      }
      const values = valuesOf(answer.body)
      if (values === undefined) throw unreachable(`${base} did not answer the secrets read as Infisical's API does (no secrets list).`)
      last = values
      return { ...values }
    },
  }
}

/** `{ secrets, imports }` → name → value; undefined when the shape is not Infisical's. */
function valuesOf(body: unknown): Record<string, string> | undefined {
  const { secrets, imports } = body as { secrets?: unknown; imports?: unknown }
  if (!Array.isArray(secrets)) return undefined
  const values: Record<string, string> = {}
  const add = (list: unknown) => {
    if (!Array.isArray(list)) return
    for (const secret of list as RawSecret[]) {
      if (typeof secret?.secretKey !== 'string' || typeof secret.secretValue !== 'string') continue
      if (!Object.hasOwn(values, secret.secretKey)) values[secret.secretKey] = secret.secretValue
    }
  }
  add(secrets)
  if (Array.isArray(imports)) for (const imported of imports as { secrets?: unknown }[]) add(imported?.secrets)
  return values
}

/** Infisical's error body is `{ statusCode, message, error, reqId }`: its message, shortened. */
function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message
  return typeof message === 'string' && message !== '' ? `: ${message.slice(0, 200)}` : ''
}

function causeText(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  if (typeof inner?.code === 'string') return inner.code
  if (typeof inner?.message === 'string') return inner.message
  return cause instanceof Error ? cause.message : String(cause)
}

function unreachable(message: string, cause?: unknown): KoyaError {
  return new KoyaError('KL_ENV_SECRETS_UNREACHABLE', message, { hint: 'Check secrets.siteUrl and the network path to Infisical, then start again; the server does not start without its secrets.', ...(cause !== undefined ? { cause } : {}) })
}

function refused(message: string, hint: string): KoyaError {
  return new KoyaError('KL_ENV_SECRETS_REFUSED', message, { hint })
}
