/** The durable queue (`_koya_jobs`): see docs/architecture.md, "The queue". */
export { createQueue, doNotRetry, isJobStatus, type EnqueueOptions, type JobKind, type JobRunContext, type JobRunView, type ListRunsFilter, type Queue, type QueueOptions } from './queue.ts'
export { backoffMs, DEFAULT_RETRY, retryPolicy, type RetryPolicy } from './retry-policy.ts'
export { JOB_STATUSES, type JobStatus } from './queue-sql.ts'
export { QUEUE_MIGRATIONS } from './queue-schema.ts'
export type { QueueLogger } from './worker.ts'
