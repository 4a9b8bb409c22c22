import type { JobIR, ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import { requestSchemaOf } from './functions-routes.ts'
import { componentRef, type RouteContract, type RouteError, type RouteGroup, type RouteParameter, type RouteSchema } from './route-contract.ts'

/**
 * The /admin endpoints of the queue (engine/runtime/jobs, engine/runtime/email): job runs (list,
 * one, run now, retry, cancel) and the emails the mail catcher kept. An admin's own session or the
 * service key, like the rest of /admin.
 */

export const JOBS_ROUTE_IDS = ['listJobRuns', 'getJobRun', 'runJob', 'retryJobRun', 'cancelJobRun', 'listEmails'] as const
export type JobsRouteId = (typeof JOBS_ROUTE_IDS)[number]

/** The most runs or emails one list answers with. */
export const MAX_JOB_RUNS = 1000

export const JOBS_TAG = 'Jobs'

export const JOB_RUN_STATUSES = ['pending', 'running', 'done', 'dead', 'cancelled'] as const

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]
const runNotFound = err(404, 'No run has this id', 'KL_API_NOT_FOUND')
const limit: RouteParameter = { name: 'limit', description: `At most this many (1 to ${MAX_JOB_RUNS}; default 100).`, schema: { type: 'string', pattern: '^[0-9]{1,4}$' } }
const runId: RouteParameter = { name: 'id', description: 'The run\'s `id` (a whole number).', schema: { type: 'string', minLength: 1, maxLength: 16 } }
const runAnswer = (description: string) => [{ status: 200, description, schema: componentRef('JobRun') }]

/**
 * The jobs group of an app: the job names it may run are the app's (`defineConfig({ jobs })`).
 *
 * @example
 * jobsRoutes(ir).routes.map((route) => route.path) // ['/admin/jobs/runs', '/admin/jobs/runs/:id', …]
 */
export function jobsRoutes(ir: ProjectIR): RouteGroup {
  return {
    tag: { name: JOBS_TAG, description: 'The queue: job runs (list, run now, retry, cancel) and the emails the mail catcher kept. Needs an admin\'s own session (not an impersonation) or the service key.' },
    routes: [...jobsAdminRoutes(ir), ...typedRunRoutes(ir)],
    schemas: jobsSchemas(),
  }
}

/** `digest` → `runJobDigest`: the operation id of a typed job's own run entry. */
export function typedRunRouteId(name: string): string {
  return `runJob${name.charAt(0).toUpperCase()}${name.slice(1)}`
}

/** The jobs declared with a `payload` schema: each has its own run entry, its body typed and validated. */
export function typedJobs(ir: ProjectIR): (JobIR & { readonly payload: NonNullable<JobIR['payload']> })[] {
  return (ir.jobs ?? []).filter((job): job is JobIR & { readonly payload: NonNullable<JobIR['payload']> } => job.payload !== undefined)
}

/**
 * One entry per job with a `payload` schema: `POST /admin/jobs/<name>/run`, its body's `payload`
 * typed and validated by the schema. A static path, so it is the route that answers for that job
 * (Fastify prefers it to `/admin/jobs/:name/run`); the SDK reaches it through `admin.runJob`,
 * whose payload argument is typed per job name (JobPayloads).
 */
export function typedRunRoutes(ir: ProjectIR): RouteContract[] {
  return typedJobs(ir).map((job) => {
    const { $defs, ...payload } = requestSchemaOf(job.payload) as RouteSchema & { readonly $defs?: RouteSchema }
    return {
      id: typedRunRouteId(job.name),
      method: 'POST',
      path: `/admin/jobs/${job.name}/run`,
      tag: JOBS_TAG,
      summary: `Run job ${job.name} now`,
      description: `Enqueue a run of ${job.name} with a payload its schema (job({ payload })) accepts; it runs as soon as a worker is free.`,
      auth: 'admin',
      // A recursive zod schema's $defs move to the body's root, where its $refs point.
      body: { description: `The payload ${job.name}'s \`run(ctx, payload)\` receives.`, schema: { type: 'object', properties: { payload }, required: ['payload'], additionalProperties: false, ...($defs === undefined ? {} : { $defs }) } },
      responses: [{ status: 202, description: 'The run, pending.', schema: componentRef('JobRun') }],
      errors: [err(400, 'The payload does not match the job\'s schema', 'KL_API_VALIDATION'), ...adminErrors],
    }
  })
}

/** The entries every app has (the jobs module attaches its handlers to them by JOBS_ROUTE_IDS). */
export function jobsAdminRoutes(ir: ProjectIR): RouteContract<JobsRouteId>[] {
  const typed = new Set(typedJobs(ir).map((job) => job.name))
  const names = (ir.jobs ?? []).map((job) => job.name).filter((name) => !typed.has(name))
  const jobName: RouteSchema = names.length > 0 ? { type: 'string', enum: names, description: 'A job of defineConfig({ jobs }) without a payload schema (a job with one has its own path).' } : { type: 'string', minLength: 1, maxLength: 64, description: 'A job of defineConfig({ jobs }) (this app has none without a payload schema).' }
  const routes: RouteContract<JobsRouteId>[] = [
    {
      id: 'listJobRuns',
      method: 'GET',
      path: '/admin/jobs/runs',
      tag: JOBS_TAG,
      summary: 'Job runs',
      description: 'Runs of the queue (jobs, emails), newest first: pending, running, done, dead (failed for good) and cancelled.',
      auth: 'admin',
      query: [
        { name: 'name', description: 'Runs of this job (`digest`), or `email` for emails.', schema: { type: 'string', minLength: 1, maxLength: 100 } },
        { name: 'status', description: `One status: ${JOB_RUN_STATUSES.map((s) => `\`${s}\``).join(', ')}.`, schema: { type: 'string', enum: [...JOB_RUN_STATUSES] } },
        { name: 'before', description: 'Runs with a smaller id (the next page).', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        limit,
      ],
      responses: [{ status: 200, description: 'The runs.', schema: { type: 'array', items: componentRef('JobRun') } }],
      errors: [err(400, 'A parameter is out of range or unknown', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'), ...adminErrors],
      sdk: { namespace: 'admin', name: 'jobRuns', doc: 'Runs of the queue, newest first, filtered by job name and status.', input: { kind: 'query', type: 'JobRunFilter' }, returns: 'JobRun[]', token: 'none' },
    },
    {
      id: 'getJobRun',
      method: 'GET',
      path: '/admin/jobs/runs/:id',
      tag: JOBS_TAG,
      summary: 'One job run',
      description: 'A run with its status, attempts, progress (what the job reported), result and last error.',
      auth: 'admin',
      params: [runId],
      responses: runAnswer('The run.'),
      errors: [...adminErrors, runNotFound],
      sdk: { namespace: 'admin', name: 'jobRun', doc: 'One run by id: status, attempts, progress, result, last error.', input: { kind: 'none' }, paramArgs: { id: { name: 'runId', type: 'number' } }, returns: 'JobRun', token: 'none' },
    },
    {
      id: 'runJob',
      method: 'POST',
      path: '/admin/jobs/:name/run',
      tag: JOBS_TAG,
      summary: 'Run a job now',
      description: 'Enqueue a run of the job with a JSON payload; it runs as soon as a worker is free.',
      auth: 'admin',
      params: [{ name: 'name', description: 'The job\'s name.', schema: jobName }],
      body: { description: 'The payload the job\'s `run(ctx, payload)` receives.', schema: { type: 'object', properties: { payload: {} }, additionalProperties: false } },
      responses: [{ status: 202, description: 'The run, pending.', schema: componentRef('JobRun') }],
      errors: [err(400, 'The body does not match the schema', 'KL_API_VALIDATION'), ...adminErrors, err(404, 'The app has no job of this name', 'KL_API_NOT_FOUND')],
      sdk: { namespace: 'admin', name: 'runJob', doc: 'Enqueues a run of the job with a payload (typed per job: JobPayloads); returns the pending run.', typeParams: '<N extends JobName>', input: { kind: 'bodyRest', fields: [{ name: 'payload', type: 'JobPayloads[N]' }] }, paramArgs: { name: { name: 'name', type: 'N' } }, returns: 'JobRun', token: 'none' },
    },
    {
      id: 'retryJobRun',
      method: 'POST',
      path: '/admin/jobs/runs/:id/retry',
      tag: JOBS_TAG,
      summary: 'Retry a run',
      description: 'Run a finished run (dead, cancelled or done) again, under the same id, its attempts counted from 0.',
      auth: 'admin',
      params: [runId],
      responses: runAnswer('The run, pending again.'),
      errors: [...adminErrors, runNotFound, err(409, 'The run is still pending or running', 'KL_API_CONFLICT')],
      sdk: { namespace: 'admin', name: 'retryJobRun', doc: 'Runs a finished run again (same id); returns it, pending.', input: { kind: 'none' }, paramArgs: { id: { name: 'runId', type: 'number' } }, returns: 'JobRun', token: 'none' },
    },
    {
      id: 'cancelJobRun',
      method: 'POST',
      path: '/admin/jobs/runs/:id/cancel',
      tag: JOBS_TAG,
      summary: 'Cancel a run',
      description: 'A pending run is cancelled; a running one has its `ctx.signal` aborted and ends cancelled (not retried). A finished run is left as it is.',
      auth: 'admin',
      params: [runId],
      responses: runAnswer('The run after the request: cancelled, or still running until its code stops.'),
      errors: [...adminErrors, runNotFound],
      sdk: { namespace: 'admin', name: 'cancelJobRun', doc: 'Cancels a pending run, or aborts a running one; returns the run.', input: { kind: 'none' }, paramArgs: { id: { name: 'runId', type: 'number' } }, returns: 'JobRun', token: 'none' },
    },
    {
      id: 'listEmails',
      method: 'GET',
      path: '/admin/emails',
      tag: JOBS_TAG,
      summary: 'Caught emails',
      description: 'Emails the mail catcher kept instead of sending them (no email API key configured, as in development), newest first.',
      auth: 'admin',
      query: [{ name: 'to', description: 'Emails to this address.', schema: { type: 'string', minLength: 1, maxLength: 320 } }, limit],
      responses: [{ status: 200, description: 'The emails.', schema: { type: 'array', items: componentRef('CaughtEmail') } }],
      errors: [err(400, 'A parameter is out of range or unknown', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'), ...adminErrors],
      sdk: { namespace: 'admin', name: 'emails', doc: 'Emails the mail catcher kept (no email API key configured), newest first.', input: { kind: 'query', type: 'CaughtEmailFilter' }, returns: 'CaughtEmail[]', token: 'none' },
    },
  ]
  return routes
}

function jobsSchemas(): Record<string, RouteSchema> {
  const time = { type: 'string', format: 'date-time' }
  const nullableTime = { type: ['string', 'null'], format: 'date-time' }
  return {
    JobRun: {
      type: 'object',
      description: 'One run of the queue: a job, an email.',
      properties: {
        id: { type: 'integer' },
        kind: { type: 'string', description: '`job:<name>` for a job, `email` for an email.' },
        status: { type: 'string', enum: [...JOB_RUN_STATUSES] },
        payload: { description: 'What the run was given (an email\'s one-time links are blanked once sent).' },
        priority: { type: 'integer' },
        attempts: { type: 'integer', description: 'Runs so far.' },
        maxAttempts: { type: 'integer' },
        runAt: { ...time, description: 'Not before this time (the next retry, for a failed attempt).' },
        createdAt: time,
        startedAt: nullableTime,
        finishedAt: nullableTime,
        progress: { description: 'What the run last reported with ctx.progress(…); null if nothing.' },
        result: { description: 'What the run returned; null if nothing.' },
        lastError: { type: ['string', 'null'], description: 'The code and message of the last failed attempt.' },
        uniqueKey: { type: ['string', 'null'] },
        slot: { type: ['string', 'null'], description: 'The cron slot (local wall time in the job\'s zone) for scheduled runs.' },
        groupKey: { type: ['string', 'null'] },
      },
      required: ['id', 'kind', 'status', 'payload', 'priority', 'attempts', 'maxAttempts', 'runAt', 'createdAt', 'startedAt', 'finishedAt', 'progress', 'result', 'lastError', 'uniqueKey', 'slot', 'groupKey'],
    },
    CaughtEmail: {
      type: 'object',
      description: 'An email the mail catcher kept.',
      properties: {
        id: { type: 'integer' },
        jobId: { type: ['integer', 'null'] },
        tag: { type: ['string', 'null'], description: 'What it is for (`verify-email`, `reset-password`), when known.' },
        from: { type: ['string', 'null'] },
        to: { type: 'array', items: { type: 'string' } },
        subject: { type: 'string' },
        html: { type: ['string', 'null'] },
        text: { type: ['string', 'null'] },
        createdAt: time,
      },
      required: ['id', 'jobId', 'tag', 'from', 'to', 'subject', 'html', 'text', 'createdAt'],
    },
  }
}
