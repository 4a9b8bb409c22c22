import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FunctionIR } from '../../ir/project-ir.ts'
import { isTypedFunction, requestSchemaOf } from '../../ir/routes/functions-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Actor } from '../data/data-layer.ts'
import { statusOf } from '../rest/http-errors.ts'
import type { CallLimits, CallResult, CallTrace, ClientAnswer, ClientCall } from './deno-worker.ts'
import type { FunctionHost } from './function-host.ts'
import type { FunctionStore } from './function-store.ts'

/**
 * `/functions/<name>` (and `/functions/<name>/…`): who may call, the body (raw bytes for a
 * Request handler, validated JSON for a typed one), the call on a warm worker, the answer, and
 * one row of the invocation log whatever happened.
 */
export interface InvokeDeps {
  readonly functions: readonly FunctionIR[]
  readonly host: FunctionHost
  readonly store: FunctionStore
  readonly actorOf: (request: FastifyRequest) => Actor
  readonly clock: () => Date
  readonly bodyLimit: number
  readonly limitsOf: (fn: FunctionIR) => CallLimits
  /** `koyalite dev`: a function's error answer names the file and line it threw at, with the stack as its hint. */
  readonly dev: boolean
}

/** Headers the function never sees: the caller's credentials stay with the server (ctx says who called). */
const WITHHELD = new Set(['authorization', 'cookie', 'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])
/** Headers of the function's answer that Node sets itself. */
const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive'])
/** Headers of the caller's request that `ctx.client` calls carry, so they act as the caller. */
const CREDENTIALS = ['authorization', 'cookie', 'origin'] as const

const RAW_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

export function registerInvokeRoutes(app: FastifyInstance, deps: InvokeDeps): void {
  const raw = deps.functions.filter((fn) => !isTypedFunction(fn))
  const typed = deps.functions.filter(isTypedFunction)
  // Request handlers take the body as bytes, whatever its type.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_request, body, done) => done(null, body))
    for (const fn of raw) {
      for (const url of [`/functions/${fn.name}`, `/functions/${fn.name}/*`]) {
        scope.route({ method: [...RAW_METHODS], url, bodyLimit: deps.bodyLimit, handler: (request, reply) => invoke(app, deps, fn, request, reply) })
      }
    }
  })
  // Typed functions take JSON, checked against the input schema before any worker is asked.
  void app.register(async (scope) => {
    for (const fn of typed) {
      scope.post(`/functions/${fn.name}`, { bodyLimit: deps.bodyLimit, ...(fn.input !== null ? { schema: { body: requestSchemaOf(fn.input) } } : {}) }, (request, reply) => invoke(app, deps, fn, request, reply))
    }
  })
}

function callerOf(fn: FunctionIR, actor: Actor, request: FastifyRequest): { userId: string | null; roles: readonly string[] } {
  const where = `${request.method} /functions/${fn.name}`
  if (fn.auth === 'system') {
    if (actor.kind === 'system') return { userId: null, roles: [] }
    if (actor.kind === 'anonymous') throw new KoyaError('KL_AUTH_REQUIRED', `${where} needs the service key.`)
    throw new KoyaError('KL_AUTH_FORBIDDEN', `Function "${fn.name}" is called with the service key only.`)
  }
  if (actor.kind === 'user') return { userId: actor.userId, roles: actor.roles }
  if (actor.kind === 'system') return { userId: null, roles: [] }
  if (fn.auth === 'public') return { userId: null, roles: [] }
  throw new KoyaError('KL_AUTH_REQUIRED', `${where} needs a signed-in user.`, { hint: 'Send the session token as `Authorization: Bearer <token>`.' })
}

async function invoke(app: FastifyInstance, deps: InvokeDeps, fn: FunctionIR, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const caller = callerOf(fn, deps.actorOf(request), request)
  const started = performance.now()
  const trace: CallTrace = { stdout: '', stderr: '', memoryBytes: null }
  const credentials: Record<string, string> = {}
  for (const name of CREDENTIALS) {
    const value = request.headers[name]
    if (typeof value === 'string') credentials[name] = value
  }
  let version = 'none'
  let status = 500
  let error: string | null = null
  try {
    const current = await deps.host.poolFor(fn)
    version = current.version
    const typed = isTypedFunction(fn)
    const headers = Object.entries(request.headers).flatMap(([name, value]): [string, string][] => (WITHHELD.has(name) || value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]]))
    const body = typed ? null : Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body.toString('base64') : null
    const result = await current.pool.run(
      {
        requestId: request.id,
        method: request.method,
        url: `http://${request.host || 'localhost'}${request.url}`,
        headers,
        body,
        typed,
        ...(typed ? { input: request.body ?? null } : {}),
        caller,
        env: fn.env,
      },
      deps.limitsOf(fn),
      trace,
      (call) => clientCall(app, call, credentials),
    )
    status = await answer(fn, result, request, reply)
    return reply
  } catch (caught) {
    const koya = caught instanceof KoyaError ? caught : new KoyaError('KL_API_FUNCTION_FAILED', `The function failed: ${caught instanceof Error ? caught.message : String(caught)}`)
    status = statusOf(koya)
    // Where the user's code threw (source-mapped): in the log, and in the answer under `koyalite dev`.
    const at = typeof koya.details?.at === 'string' ? koya.details.at : undefined
    error = at === undefined ? koya.message : `${koya.message} (at ${at})`
    if (deps.dev && at !== undefined) {
      throw new KoyaError(koya.code, error, { hint: typeof koya.details?.stack === 'string' ? koya.details.stack : koya.hint, details: koya.details })
    }
    throw koya
  } finally {
    deps.store.recordInvocation({ function: fn.name, version, requestId: request.id, status, durationMs: Math.round(performance.now() - started), memoryBytes: trace.memoryBytes, stdout: trace.stdout, stderr: trace.stderr, error }, deps.clock().getTime())
  }
}

async function answer(fn: FunctionIR, result: CallResult, request: FastifyRequest, reply: FastifyReply): Promise<number> {
  if (result.kind === 'output') {
    if (fn.output !== null) {
      const validate = request.compileValidationSchema(requestSchemaOf(fn.output))
      if (!validate(result.output)) {
        const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(output)'} ${e.message ?? 'is invalid'}`)
        throw new KoyaError('KL_API_FUNCTION_FAILED', `Function "${fn.name}" returned an output its schema refuses: ${problems.join('; ')}.`)
      }
    }
    await reply.code(200).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(result.output))
    return 200
  }
  if (result.kind !== 'response') throw new KoyaError('KL_API_FUNCTION_FAILED', 'The function answered with neither a Response nor an output.')
  for (const [name, value] of result.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) reply.header(name, value)
  await reply.code(result.status).send(Buffer.from(result.body, 'base64'))
  return result.status
}

/** One `ctx.fetch` / `ctx.client` request, served in process with the caller's credentials. */
async function clientCall(app: FastifyInstance, call: ClientCall, credentials: Readonly<Record<string, string>>): Promise<ClientAnswer> {
  if (!call.path.startsWith('/') || call.path.startsWith('//') || /^\/functions(\/|$|\?)/.test(call.path)) {
    return jsonAnswer(400, { code: 'KL_API_BAD_REQUEST', message: 'ctx.client reaches the KoyaLite API (/api, /auth, …), not /functions.' })
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of call.headers) if (!WITHHELD.has(name.toLowerCase())) headers[name.toLowerCase()] = value
  Object.assign(headers, credentials)
  const method = call.method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
  const response = await app.inject({ method, url: call.path, headers, ...(call.body !== null ? { payload: Buffer.from(call.body, 'base64') } : {}) })
  const answerHeaders = Object.entries(response.headers).flatMap(([name, value]): [string, string][] => (value === undefined || HOP_BY_HOP.has(name) || name === 'set-cookie' ? [] : [[name, Array.isArray(value) ? value.join(', ') : String(value)]]))
  return { status: response.statusCode, headers: answerHeaders, body: response.rawPayload.length > 0 ? response.rawPayload.toString('base64') : null }
}

function jsonAnswer(status: number, body: object): ClientAnswer {
  return { status, headers: [['content-type', 'application/json; charset=utf-8']], body: Buffer.from(JSON.stringify(body)).toString('base64') }
}
