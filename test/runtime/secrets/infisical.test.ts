import { createServer as httpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createInfisicalSource, type InfisicalConnection } from '../../../engine/runtime/secrets/infisical.ts'
import { secretsSourceOf, startSecretsRefresh, type SecretsRefreshEvent } from '../../../engine/runtime/secrets/load-secrets.ts'
import type { SecretsIR } from '../../../engine/ir/secrets-ir.ts'
import { KoyaError, KoyaErrorList } from '../../../engine/shared/errors.ts'
import { closedPort, startInfisicalStandIn, type InfisicalStandIn } from '../../helpers/infisical-server.ts'

let infisical: InfisicalStandIn
beforeAll(async () => {
  infisical = await startInfisicalStandIn()
})
afterAll(() => infisical.close())
afterEach(() => {
  infisical.failure = null
  infisical.tokenTtlSeconds = 7200
  infisical.folders.clear()
})

const connection = (over: Partial<InfisicalConnection> = {}): InfisicalConnection => ({
  siteUrl: infisical.url,
  projectId: infisical.projectId,
  environment: 'prod',
  path: '/api',
  clientId: infisical.clientId,
  clientSecret: infisical.clientSecret,
  timeoutMs: 2_000,
  ...over,
})

async function failure(promise: Promise<unknown>): Promise<KoyaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KoyaError)
  return error as KoyaError
}

describe('reading secrets from Infisical (universal auth, raw secrets)', () => {
  it('logs in with the machine identity, reads one folder with its imports, direct secrets first', async () => {
    infisical.folders.set('prod:/api', { secrets: { STRIPE_KEY: 'sk_live_1', SHARED: 'from-api' }, imports: [{ environment: 'prod', path: '/shared' }, { environment: 'prod', path: '/other' }] })
    infisical.folders.set('prod:/shared', { secrets: { SHARED: 'from-shared', DATABASE_URL: 'file:prod.db', FIRST: 'shared' } })
    infisical.folders.set('prod:/other', { secrets: { FIRST: 'other', OTHER: 'o' } })
    const before = { ...infisical.calls }
    const values = await createInfisicalSource(connection()).read()
    expect(values).toEqual({ STRIPE_KEY: 'sk_live_1', SHARED: 'from-api', DATABASE_URL: 'file:prod.db', FIRST: 'shared', OTHER: 'o' })
    expect(infisical.calls.login - before.login).toBe(1)
    const query = infisical.calls.queries.at(-1)!
    expect(Object.fromEntries(query)).toMatchObject({ workspaceId: infisical.projectId, environment: 'prod', secretPath: '/api', include_imports: 'true', expandSecretReferences: 'true' })
  })

  it('keeps the access token until it nears expiry, and logs in once more after a revocation', async () => {
    infisical.folders.set('prod:/api', { secrets: { A: '1' } })
    infisical.tokenTtlSeconds = 600
    let now = 1_000_000
    const source = createInfisicalSource(connection(), { now: () => now })
    const logins = infisical.calls.login
    await source.read()
    await source.read()
    expect(infisical.calls.login - logins).toBe(1)
    now += 541_000 // past 90 % of 600 s
    await source.read()
    expect(infisical.calls.login - logins).toBe(2)
    infisical.revokeTokens()
    infisical.folders.set('prod:/api', { secrets: { A: '2' } })
    expect(await source.read()).toEqual({ A: '2' })
    expect(infisical.calls.login - logins).toBe(3)
    expect(source.cached()).toEqual({ A: '2' })
  })

  it('a wrong client secret is refused with a coded error that never carries the secret', async () => {
    const error = await failure(createInfisicalSource(connection({ clientSecret: 'not-the-secret-0123456789' })).read())
    expect(error.code).toBe('KL_ENV_SECRETS_REFUSED')
    expect(error.message).toContain('refused the machine identity')
    expect(error.message).toContain('Invalid credentials')
    expect(JSON.stringify({ message: error.message, hint: error.hint })).not.toContain('not-the-secret-0123456789')
  })

  it('an environment or folder Infisical does not have is refused, with its message', async () => {
    infisical.folders.set('prod:/api', { secrets: { A: '1' } })
    const error = await failure(createInfisicalSource(connection({ environment: 'staging' })).read())
    expect(error.code).toBe('KL_ENV_SECRETS_REFUSED')
    expect(error.message).toContain("environment with slug 'staging' not found")
    expect(error.hint).toContain('projectId, environment and path')
  })

  it('a server error, no listener and no answer are KL_ENV_SECRETS_UNREACHABLE', async () => {
    infisical.failure = 503
    const down = await failure(createInfisicalSource(connection()).read())
    expect([down.code, down.message]).toEqual(['KL_ENV_SECRETS_UNREACHABLE', `Infisical at ${infisical.url} answered 503 while logging in (universal auth): Something went wrong.`])

    const closed = await closedPort()
    const refused = await failure(createInfisicalSource(connection({ siteUrl: `http://127.0.0.1:${closed}` })).read())
    expect(refused.code).toBe('KL_ENV_SECRETS_UNREACHABLE')
    expect(refused.message).toContain('ECONNREFUSED')

    infisical.failure = 'hang'
    const slow = await failure(createInfisicalSource(connection({ timeoutMs: 300 })).read())
    expect(slow.code).toBe('KL_ENV_SECRETS_UNREACHABLE')
    expect(slow.message).toContain('no answer within 300 ms')
  })

  it('a siteUrl that is not Infisical is named as such, not a crash', async () => {
    const wrongPath = await failure(createInfisicalSource(connection({ siteUrl: `${infisical.url}/not-here` })).read())
    expect(wrongPath.code).toBe('KL_ENV_SECRETS_REFUSED') // Infisical's own 404 for an unknown route
    const page = httpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'))
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve))
    try {
      const html = await failure(createInfisicalSource(connection({ siteUrl: `http://127.0.0.1:${(page.address() as AddressInfo).port}` })).read())
      expect(html.code).toBe('KL_ENV_SECRETS_UNREACHABLE')
      expect(html.message).toContain("did not answer as Infisical's API does")
    } finally {
      await new Promise<void>((resolve) => page.close(() => resolve()))
    }
  })
})

describe('the provider of model.json, and its refresh', () => {
  const ir: SecretsIR = {
    provider: 'infisical',
    siteUrl: { env: 'INFISICAL_SITE_URL' },
    projectId: { value: 'p' },
    clientId: { env: 'INFISICAL_CLIENT_ID' },
    clientSecret: { env: 'INFISICAL_CLIENT_SECRET' },
    environments: { development: 'dev', test: 'dev', staging: 'staging', production: 'prod' },
    path: '/api',
    refreshMs: 60_000,
    timeoutMs: 2_000,
  }

  it('reports every missing setting at once, naming the variables', () => {
    let caught: unknown
    try {
      secretsSourceOf(ir, { INFISICAL_SITE_URL: infisical.url }, 'production')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(KoyaErrorList)
    expect((caught as KoyaErrorList).errors.map((e) => [e.code, e.message.split(' (')[0]])).toEqual([
      ['KL_ENV_MISSING', 'Environment variable INFISICAL_CLIENT_ID is not set'],
      ['KL_ENV_MISSING', 'Environment variable INFISICAL_CLIENT_SECRET is not set'],
    ])
  })

  it('picks the Infisical environment of KOYA_ENV', async () => {
    infisical.folders.set('staging:/api', { secrets: { WHERE: 'staging' } })
    const env = { INFISICAL_SITE_URL: infisical.url, INFISICAL_CLIENT_ID: infisical.clientId, INFISICAL_CLIENT_SECRET: infisical.clientSecret }
    const source = secretsSourceOf({ ...ir, projectId: { value: infisical.projectId } }, env, 'staging')
    expect(await source.read()).toEqual({ WHERE: 'staging' })
    expect(source.description).toBe(`infisical ${infisical.url} project ${infisical.projectId}, environment staging, path /api`)
  })

  it('a refresh hands new values to apply; a failed one keeps what is in force and says why', async () => {
    infisical.folders.set('prod:/api', { secrets: { TOKEN: 'one' } })
    const source = createInfisicalSource(connection())
    const inForce: Record<string, string> = { ...(await source.read()) }
    const events: SecretsRefreshEvent[] = []
    const refresh = startSecretsRefresh(source, 3_600_000, (values) => {
      const changed = Object.keys(values).filter((k) => inForce[k] !== values[k])
      Object.assign(inForce, values)
      return { changed }
    }, (event) => events.push(event))
    try {
      infisical.folders.set('prod:/api', { secrets: { TOKEN: 'two' } })
      await refresh.refreshNow()
      expect(inForce.TOKEN).toBe('two')
      infisical.failure = 502
      await refresh.refreshNow()
      expect(inForce.TOKEN).toBe('two')
      expect(events.map((e) => (e.kind === 'applied' ? `applied ${e.changed.join(',')}` : `failed ${e.error.code}`))).toEqual(['applied TOKEN', 'failed KL_ENV_SECRETS_UNREACHABLE'])
      expect(source.cached()).toEqual({ TOKEN: 'two' })
    } finally {
      refresh.stop()
    }
  })
})
