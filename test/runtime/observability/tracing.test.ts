import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, SERVICE_KEY, signedInUser, type AuthTestApp } from '../../helpers/auth-app.ts'

/** One span as OTLP/JSON encodes it (opentelemetry-proto's JSON mapping: ids in hex, enums as numbers). */
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string | number
  endTimeUnixNano: string | number
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }[]
}
interface ExportTraceServiceRequest {
  resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[]
}

/** An OTLP/HTTP collector stand-in: POST /v1/traces, JSON bodies parsed and kept. */
function collector(): Promise<{ server: Server; url: string; bodies: string[]; contentTypes: string[] }> {
  const bodies: string[] = []
  const contentTypes: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        bodies.push(Buffer.concat(chunks).toString('utf8'))
        contentTypes.push(String(req.headers['content-type']))
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, contentTypes })))
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : (value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue))
}

const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }
const UNSAMPLED = { traceId: '5bf92f3577b34da6a3ce929d0e0e4737', spanId: '10f067aa0ba902b8' }

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  let receiver: Awaited<ReturnType<typeof collector>>
  let spans: OtlpSpan[]
  let resource: OtlpSpan['attributes']
  let raw: string
  const secrets = { email: 'traced-person@example.com', password: 'a very secret passphrase', title: 'Confidential merger plan' }
  let member: Awaited<ReturnType<typeof signedInUser>>
  let monitor: { recent: { requestId: string; route: string; traceId?: string }[]; traceUrl: string | null }

  beforeAll(async () => {
    receiver = await collector()
    const t: AuthTestApp = await authApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_SERVICE_NAME: 'koya-tasks-test', KOYA_TRACE_URL: 'https://traces.example.com/trace/{traceId}' } })
    try {
      expect((await call(t, 'POST', '/auth/signup', { body: { email: secrets.email, password: secrets.password, displayName: 'Traced' } })).status).toBe(202)
      expect((await call(t, 'GET', `/api/workspaces?name=eq.${encodeURIComponent(secrets.title)}`, { token: SERVICE_KEY })).status).toBe(200)
      expect((await call(t, 'GET', '/api/no-such-table', { token: SERVICE_KEY })).status).toBe(404)
      member = await signedInUser(t, 'traced-member', secrets.password)
      expect((await call(t, 'POST', '/auth/login', { body: { email: member.email, password: 'not the password at all' } })).status).toBe(401)
      expect((await call(t, 'GET', `/api/workspaces?name=eq.${encodeURIComponent(secrets.title)}`, { token: member.token })).status).toBe(200)
      expect((await call(t, 'GET', '/api/workspaces/0193ab12-0000-7000-8000-000000000000', { token: member.token })).status).toBe(404)
      expect((await call(t, 'GET', '/api/projects', { token: SERVICE_KEY, headers: { traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01` } })).status).toBe(200)
      expect((await call(t, 'GET', '/api/comments', { token: SERVICE_KEY, headers: { traceparent: `00-${UNSAMPLED.traceId}-${UNSAMPLED.spanId}-00` } })).status).toBe(200)
      monitor = (await call(t, 'GET', '/admin/monitor?limit=500', { token: SERVICE_KEY })).body
    } finally {
      // Closing flushes the batch to the collector.
      await t.close()
    }
    raw = receiver.bodies.join('\n')
    const requests = receiver.bodies.map((body) => JSON.parse(body) as ExportTraceServiceRequest)
    spans = requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
    resource = requests[0]!.resourceSpans[0]!.resource.attributes
  }, 60_000)
  afterAll(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())))

  it('exports OTLP/JSON to <endpoint>/v1/traces with the service name', () => {
    expect(receiver.bodies.length).toBeGreaterThan(0)
    expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true)
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'koya-tasks-test' } })
  })

  it('one SERVER span per request, named by its route pattern, with method and status', () => {
    const server = spans.filter((s) => s.kind === 2)
    const signup = server.find((s) => s.name === 'POST /auth/signup')!
    expect(signup).toBeDefined()
    expect(signup.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(signup.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(signup.parentSpanId ?? '').toBe('')
    expect(attribute(signup, 'http.request.method')).toBe('POST')
    expect(attribute(signup, 'http.route')).toBe('/auth/signup')
    expect(attribute(signup, 'http.response.status_code')).toBe(202)
    expect(BigInt(signup.endTimeUnixNano) >= BigInt(signup.startTimeUnixNano)).toBe(true)
    expect(server.map((s) => s.name)).toContain('GET /api/workspaces')
    expect(attribute(server.find((s) => s.name === 'GET /api/workspaces')!, 'http.response.status_code')).toBe(200)
  })

  it('one CLIENT span per SQL statement, within its request, carrying the statement shape', () => {
    const list = spans.find((s) => s.name === 'GET /api/workspaces')!
    const statements = spans.filter((s) => s.kind === 3 && within(s, list))
    expect(statements.length).toBeGreaterThan(0)
    for (const statement of statements) {
      expect(statement.traceId).toBe(list.traceId)
      expect(statement.name).toBe('sqlite')
      expect(attribute(statement, 'db.system.name')).toBe('sqlite')
      expect(String(attribute(statement, 'db.query.text'))).toMatch(/^(WITH|SELECT)\b/i)
    }
    expect(statements.some((s) => String(attribute(s, 'db.query.text')).includes('?'))).toBe(true)
    const signup = spans.find((s) => s.name === 'POST /auth/signup')!
    expect(spans.filter((s) => s.kind === 3 && within(s, signup)).some((s) => /^INSERT/i.test(String(attribute(s, 'db.query.text'))))).toBe(true)
  })

  /** Whether `span` is `ancestor` or below it. */
  function within(span: OtlpSpan, ancestor: OtlpSpan): boolean {
    for (let at: OtlpSpan | undefined = span; at !== undefined; at = spans.find((s) => s.spanId === at!.parentSpanId)) if (at.spanId === ancestor.spanId) return true
    return false
  }
  const requestSpan = (name: string, nth = 0) => spans.filter((s) => s.kind === 2 && s.name === name)[nth]!
  const childrenOf = (parent: OtlpSpan) => spans.filter((s) => s.parentSpanId === parent.spanId)

  it('an auth.session span under each request that resolves its caller: how it came and as whom', () => {
    const [, byMember] = spans.filter((s) => s.kind === 2 && s.name === 'GET /api/workspaces')
    const session = childrenOf(byMember!).find((s) => s.name === 'auth.session')!
    expect(session).toBeDefined()
    expect(session.kind).toBe(1)
    expect(session.traceId).toBe(byMember!.traceId)
    expect(attribute(session, 'koya.auth.via')).toBe('bearer')
    expect(attribute(session, 'koya.actor.kind')).toBe('user')
    expect(attribute(session, 'koya.auth.impersonation')).toBe(false)
    // The session lookup itself is a statement span under it, its shape without the token's hash.
    const lookup = childrenOf(session).filter((s) => s.name === 'sqlite')
    expect(lookup.map((s) => attribute(s, 'db.query.text'))).toEqual([expect.stringContaining('FROM "_koya_sessions" s WHERE s."id" = ?')])
    const byService = childrenOf(requestSpan('GET /api/workspaces')).find((s) => s.name === 'auth.session')!
    expect(attribute(byService, 'koya.auth.via')).toBe('service-key')
    expect(attribute(byService, 'koya.actor.kind')).toBe('system')
  })

  it('an auth.login span: success, or ERROR with the refusal code', () => {
    const logins = spans.filter((s) => s.name === 'auth.login')
    expect(logins).toHaveLength(2)
    const [ok, refused] = logins.sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)))
    expect(ok!.parentSpanId).toBe(requestSpan('POST /auth/login', 0).spanId)
    expect(attribute(ok!, 'koya.auth.outcome')).toBe('success')
    expect(attribute(refused!, 'koya.auth.outcome')).toBeUndefined()
    expect(attribute(refused!, 'koya.error.code')).toBe('KL_AUTH_INVALID_CREDENTIALS')
    expect((refused as OtlpSpan & { status?: { code?: number } }).status?.code).toBe(2)
    // The login's own steps (the user lookup through the data layer) nest under it.
    expect(childrenOf(ok!).map((s) => s.name)).toContain('data.findOne users')
    expect(attribute(childrenOf(ok!).find((s) => s.name === 'data.findOne users')!, 'koya.policy')).toBe('system (no policy)')
  })

  it('a data-layer span per neutral query, naming the policy that applied, with its statements under it', () => {
    const [, byMember] = spans.filter((s) => s.kind === 2 && s.name === 'GET /api/workspaces')
    const list = childrenOf(byMember!).find((s) => s.name === 'data.list workspaces')!
    expect(list).toBeDefined()
    expect(attribute(list, 'koya.data.operation')).toBe('list')
    expect(attribute(list, 'koya.data.table')).toBe('workspaces')
    expect(attribute(list, 'koya.actor.kind')).toBe('user')
    expect(String(attribute(list, 'koya.policy'))).toMatch(/^policies\/.+\.ts:\d+:\d+$/)
    expect(attribute(list, 'koya.data.rows')).toBe(0)
    const statements = childrenOf(list).filter((s) => s.kind === 3)
    expect(statements.length).toBeGreaterThan(0)
    // The policy's predicate is in the statement, with the caller as a bound parameter.
    expect(statements.some((s) => /"workspace_members"|"members"/.test(String(attribute(s, 'db.query.text'))))).toBe(true)
    const bySystem = childrenOf(requestSpan('GET /api/workspaces')).find((s) => s.name === 'data.list workspaces')!
    expect(attribute(bySystem, 'koya.policy')).toBe('system (no policy)')
    const get = childrenOf(requestSpan('GET /api/workspaces/:id')).find((s) => s.name === 'data.get workspaces')!
    expect(attribute(get, 'koya.data.rows')).toBe(0)
  })

  it('a caller\'s W3C traceparent makes the request span its child; an unsampled caller\'s request is not recorded', () => {
    const projects = spans.find((s) => s.kind === 2 && s.name === 'GET /api/projects')!
    expect(projects.traceId).toBe(CALLER.traceId)
    expect(projects.parentSpanId).toBe(CALLER.spanId)
    expect(childrenOf(projects).map((s) => s.name)).toContain('data.list projects')
    expect(spans.some((s) => s.traceId === UNSAMPLED.traceId)).toBe(false)
    expect(spans.some((s) => s.name === 'GET /api/comments')).toBe(false)
  })

  it('the API monitor gives each recent request the trace id of its span, and the trace viewer to link to', () => {
    expect(monitor.traceUrl).toBe('https://traces.example.com/trace/{traceId}')
    const login = monitor.recent.find((r) => r.route === '/auth/login')!
    const span = spans.find((s) => s.kind === 2 && attribute(s, 'koya.request_id') === login.requestId)!
    expect(span.name).toBe('POST /auth/login')
    expect(login.traceId).toBe(span.traceId)
    expect(monitor.recent.filter((r) => r.route !== '/admin/monitor' && r.route !== '/api/comments').every((r) => /^[0-9a-f]{32}$/.test(r.traceId ?? ''))).toBe(true)
    expect(monitor.recent.find((r) => r.route === '/api/comments')!.traceId).toBeUndefined()
  })

  it('never carries a value: no email, password, filter value, query string, id or token', () => {
    for (const secret of [secrets.email, secrets.password, secrets.title, encodeURIComponent(secrets.title), SERVICE_KEY, 'name=eq', member.email, member.token, member.id, '0193ab12-0000-7000-8000-000000000000', 'not the password at all']) expect(raw).not.toContain(secret)
  })
})

describe('tracing off', () => {
  it('without OTEL_EXPORTER_OTLP_ENDPOINT (or KOYA_POSTHOG_KEY) no request hook is added; with it, every route runs one', async () => {
    const routesOf = async (env: Record<string, string>) => {
      const t = await authApp({ env })
      try {
        // The root instance's hooks (Fastify keeps them under its `fastify.hooks` symbol): every route runs them.
        const hooks = t.app[Object.getOwnPropertySymbols(t.app).find((s) => s.description === 'fastify.hooks')! as never] as unknown as { onRequest: { name: string }[]; onResponse: { name: string }[] }
        return [...hooks.onRequest, ...hooks.onResponse].map((hook) => hook.name).join(' ')
      } finally {
        await t.close()
      }
    }
    const off = await routesOf({})
    expect(off).not.toBe('')
    expect(off).not.toContain('traceRequest')
    expect(off).not.toContain('endRequestSpan')
    expect(off).not.toContain('captureProductEvents')
    const on = await routesOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })
    expect(on).toContain('traceRequest')
    expect(on).toContain('endRequestSpan')
  })
})

describe('traceparent', () => {
  it('reads version 00 and ignores what the specification says to ignore', async () => {
    const { parentOf } = await import('../../../engine/runtime/observability/tracing.ts')
    expect(parentOf(`00-${CALLER.traceId}-${CALLER.spanId}-01`)).toEqual({ ...CALLER, traceFlags: 1, isRemote: true })
    expect(parentOf(`00-${CALLER.traceId}-${CALLER.spanId}-00`)?.traceFlags).toBe(0)
    expect(parentOf(`cc-${CALLER.traceId}-${CALLER.spanId}-01-more`)).toMatchObject(CALLER)
    for (const bad of [undefined, '', `ff-${CALLER.traceId}-${CALLER.spanId}-01`, `00-${'0'.repeat(32)}-${CALLER.spanId}-01`, `00-${CALLER.traceId}-${'0'.repeat(16)}-01`, `00-${CALLER.traceId}-${CALLER.spanId}-01-extra`, `00-${CALLER.traceId.toUpperCase()}-${CALLER.spanId}-01`]) {
      expect(parentOf(bad)).toBeUndefined()
    }
  })
})

describe('sampling (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)', () => {
  it('reads the sampler the specification names, the ratio clamped to 0..1', async () => {
    const { samplingOf } = await import('../../../engine/runtime/observability/tracing.ts')
    expect(samplingOf(undefined, undefined)).toEqual({ kind: 'on', ratio: 1, unknown: false })
    expect(samplingOf('parentbased_traceidratio', '0.25')).toEqual({ kind: 'ratio', ratio: 0.25, unknown: false })
    expect(samplingOf('traceidratio', '7')).toEqual({ kind: 'ratio', ratio: 1, unknown: false })
    expect(samplingOf('always_off', undefined)).toEqual({ kind: 'off', ratio: 0, unknown: false })
    expect(samplingOf('jaeger_remote', undefined).unknown).toBe(true)
  })

  it('a request sampled out exports no span at all (nor its steps and statements), and the monitor gives it no trace id', async () => {
    const receiver = await collector()
    try {
      const t = await authApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' } })
      let monitor: { recent: { traceId?: string }[] }
      try {
        expect((await call(t, 'GET', '/api/workspaces', { token: SERVICE_KEY })).status).toBe(200)
        monitor = (await call(t, 'GET', '/admin/monitor', { token: SERVICE_KEY })).body
      } finally {
        await t.close()
      }
      const exported = receiver.bodies.flatMap((body) => (JSON.parse(body) as ExportTraceServiceRequest).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
      expect(exported).toEqual([])
      expect(monitor.recent.length).toBeGreaterThan(0)
      expect(monitor.recent.every((r) => r.traceId === undefined)).toBe(true)
    } finally {
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()))
    }
  })
})
