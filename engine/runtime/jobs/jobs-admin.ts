import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { JOBS_ROUTE_IDS, jobsAdminRoutes, MAX_JOB_RUNS, typedJobs, typedRunRouteId, typedRunRoutes, type JobsRouteId } from '../../ir/routes/jobs-routes.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { isKoyaError, KoyaError } from '../../shared/errors.ts'
import { requireAdmin, type AdminDeps } from '../admin/admin-routes.ts'
import { createMailCatcher } from '../email/mail-catcher.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { registerContractRoutes, type RouteHandlers } from '../http/route-contract.ts'
import { isJobStatus, type JobRunView, type Queue } from '../queue/queue.ts'
import type { PayloadValidator } from '../handlers/load-handlers.ts'
import { jobKind, kindOfName } from './job-kinds.ts'
import { checkJobPayload } from './job-payloads.ts'

interface JobsAdminDeps {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly queue: Queue
  readonly admin: AdminDeps
  /** The jobs' `payload` schemas (from the handlers bundle): checked after the route's JSON Schema, for what JSON Schema cannot say (refinements). */
  readonly payloads: Readonly<Record<string, PayloadValidator>>
}

/**
 * The jobs group of /admin (engine/ir/routes/jobs-routes.ts): runs listed, read, run, retried,
 * cancelled, and the mail catcher's emails.
 *
 * @example
 * registerJobsAdmin(app, { model: runtime.model, db: runtime.db, queue: runtime.queue(), admin: runtime.adminDeps() })
 */
export function registerJobsAdmin(app: FastifyInstance, deps: JobsAdminDeps): void {
  const isAnonymous = (request: FastifyRequest) => deps.admin.requests.authOf(request).actor.kind === 'anonymous'
  registerContractRoutes(app, { ids: JOBS_ROUTE_IDS, routes: jobsAdminRoutes(deps.model), handlers: jobsHandlers(deps), isAnonymous })
  const typed = typedRunRoutes(deps.model)
  if (typed.length > 0) registerContractRoutes(app, { ids: typed.map((route) => route.id), routes: typed, handlers: typedRunHandlers(deps), isAnonymous })
}

/** The run entries of the jobs with a payload schema: the body was checked by the route's JSON Schema, then by the schema itself. */
function typedRunHandlers(deps: JobsAdminDeps): RouteHandlers<string> {
  return Object.fromEntries(
    typedJobs(deps.model).map((job) => [
      typedRunRouteId(job.name),
      async (request: FastifyRequest, reply: FastifyReply) => {
        requireAdmin(deps.admin, request)
        const { payload } = request.body as { payload: unknown }
        checkJobPayload(job.name, deps.payloads[job.name], payload, 'KL_API_VALIDATION')
        const id = deps.queue.enqueue(jobKind(job.name), payload)
        return reply.code(202).send(deps.queue.get(id))
      },
    ]),
  )
}

function jobsHandlers(deps: JobsAdminDeps): RouteHandlers<JobsRouteId> {
  const { queue, admin } = deps
  const names = new Set((deps.model.jobs ?? []).map((job) => job.name))
  const catcher = createMailCatcher(deps.db)
  // Not a number: no run has it (404), like an id that was never used.
  const idOf = (id: string): number => (/^[0-9]{1,15}$/.test(id) ? Number(id) : -1)
  const found = (run: JobRunView | undefined, id: string): JobRunView => {
    if (run === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No job run has id ${id}.`)
    return run
  }
  const limitOf = (text: string | undefined): number => {
    const limit = text === undefined ? 100 : Number(text)
    if (limit < 1 || limit > MAX_JOB_RUNS) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${MAX_JOB_RUNS}.`)
    return limit
  }
  return {
    async listJobRuns(request) {
      requireAdmin(admin, request)
      const query = request.query as { name?: string; status?: string; before?: string; limit?: string }
      return queue.list({
        ...(query.name !== undefined ? { kind: kindOfName(query.name, names) } : {}),
        ...(query.status !== undefined && isJobStatus(query.status) ? { status: query.status } : {}),
        ...(query.before !== undefined ? { before: Number(query.before) } : {}),
        limit: limitOf(query.limit),
      })
    },
    async getJobRun(request) {
      requireAdmin(admin, request)
      const { id } = request.params as { id: string }
      return found(queue.get(idOf(id)), id)
    },
    async runJob(request, reply) {
      requireAdmin(admin, request)
      const { name } = request.params as { name: string }
      if (!names.has(name)) throw new KoyaError('KL_API_NOT_FOUND', `The app has no job "${name}".`, { hint: 'Run one of the jobs of defineConfig({ jobs }).' })
      const body = (request.body ?? {}) as { payload?: unknown }
      const id = queue.enqueue(jobKind(name), body.payload ?? {})
      return reply.code(202).send(queue.get(id))
    },
    async retryJobRun(request) {
      requireAdmin(admin, request)
      const { id } = request.params as { id: string }
      try {
        return found(queue.retry(idOf(id)), id)
      } catch (error) {
        if (isKoyaError(error) && error.code === 'KL_JOB_NOT_FINISHED') throw new KoyaError('KL_API_CONFLICT', error.message, { hint: error.hint })
        throw error
      }
    },
    async cancelJobRun(request) {
      requireAdmin(admin, request)
      const { id } = request.params as { id: string }
      return found(queue.cancel(idOf(id)), id)
    },
    async listEmails(request) {
      requireAdmin(admin, request)
      const query = request.query as { to?: string; limit?: string }
      return catcher.list({ ...(query.to !== undefined ? { to: query.to } : {}), limit: limitOf(query.limit) })
    },
  }
}
