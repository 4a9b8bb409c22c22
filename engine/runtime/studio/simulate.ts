import type { AdminDeps } from '../admin/admin-routes.ts'
import type { Actor, DataLayer, Operation, PolicySimulation } from '../data/data-layer.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Where } from '../data/query.ts'
import { toWhere } from '../rest/neutral-query.ts'
import { parseQuery } from '../rest/query-grammar.ts'

export interface SimulateInput {
  /** The table whose rows are judged; or */
  readonly table?: string
  /** the storage bucket whose objects are judged (rows of `_koya_objects`, by the bucket's access rules). */
  readonly bucket?: string
  readonly operation: Operation
  /** The user to simulate; null: an anonymous caller. */
  readonly userId: string | null
  /** The roles to simulate instead of the user's granted ones ("what if they were support?"). */
  readonly roles?: readonly string[]
  readonly after?: string
  readonly limit?: number
  /**
   * A realtime subscription to the table, with its filter in the REST grammar (`status=eq.todo`,
   * '' for none): each row is also judged for what that subscription receives (`receives`).
   */
  readonly subscription?: { readonly filter: string }
}

/** A simulated row, with what the simulated subscription receives on a change to it. */
export type SimulateResult = PolicySimulation & {
  actor: { userId: string | null; roles: readonly string[] }
  rows: readonly (PolicySimulation['rows'][number] & { receives?: boolean })[]
  subscription?: { filter: string }
}

/**
 * The policy simulator behind `POST /admin/studio/simulate`: builds the actor (a user with their
 * granted roles, or the roles given; or anonymous) and asks the data layer for each row's
 * verdicts. Impersonates nobody and writes nothing.
 */
export function simulate(data: DataLayer, model: Pick<ProjectIR, 'buckets'>, admin: Pick<AdminDeps, 'users' | 'grants'>, input: SimulateInput): SimulateResult {
  if ((input.table === undefined) === (input.bucket === undefined)) {
    throw new KoyaError('KL_API_VALIDATION', 'A simulation judges a table\'s rows or a bucket\'s objects: give one of `table` and `bucket`.', { hint: 'For example { "table": "tasks", "operation": "read", "userId": null }.' })
  }
  if (input.bucket !== undefined && !(model.buckets ?? []).some((bucket) => bucket.name === input.bucket)) {
    throw new KoyaError('KL_API_NOT_FOUND', `The app has no storage bucket "${input.bucket}".`, { hint: `Buckets: ${(model.buckets ?? []).map((b) => b.name).join(', ') || '(none)'}.` })
  }
  if (input.subscription !== undefined && (input.table === undefined || input.operation !== 'read')) {
    throw new KoyaError('KL_API_VALIDATION', 'A realtime subscription is simulated on a table\'s read: give `table` and `operation: "read"` with `subscription`.', { hint: 'For example { "table": "tasks", "operation": "read", "userId": "…", "subscription": { "filter": "status=eq.todo" } }.' })
  }
  let actor: Actor = { kind: 'anonymous' }
  if (input.userId !== null) {
    if (admin.users.findById(input.userId) === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No user has the id "${input.userId}".`, { hint: 'Pick a user of the users table, or null for an anonymous caller.' })
    actor = { kind: 'user', userId: input.userId, roles: input.roles ?? admin.grants.rolesOf(input.userId) }
  }
  const page = { limit: input.limit ?? 50, ...(input.after === undefined ? {} : { after: input.after }), ...(input.bucket === undefined ? {} : { equals: { column: 'bucket', value: input.bucket } }) }
  const result = data.simulate(actor, input.table ?? OBJECTS_TABLE, input.operation, page)
  const who = { userId: input.userId, roles: actor.kind === 'user' ? actor.roles : [] }
  if (input.subscription === undefined || result.rows.length === 0) return { ...result, actor: who, ...(input.subscription ? { subscription: { filter: input.subscription.filter } } : {}) }
  const received = receivers(data, actor, input.table!, subscriptionWhere(data, input.table!, input.subscription.filter), result.rows.map((r) => r.id))
  return { ...result, actor: who, rows: result.rows.map((r) => ({ ...r, receives: received.has(r.id) })), subscription: { filter: input.subscription.filter } }
}

/** A subscription's filter as the realtime hub parses it (filters only, in the REST grammar). */
function subscriptionWhere(data: DataLayer, table: string, filter: string): Where | undefined {
  if (filter.trim() === '') return undefined
  const parsed = parseQuery(new URLSearchParams(filter))
  if (parsed.order.length > 0 || parsed.limit !== undefined || parsed.offset !== undefined || parsed.select.some((s) => s.kind !== 'all') || parsed.embedRanges.length > 0 || parsed.onConflict || parsed.columns) {
    throw new KoyaError('KL_API_VALIDATION', 'A subscription\'s filter takes filters only (no select, order, limit, offset, on_conflict or columns).', { hint: 'For example "status=eq.todo&projectId=eq.…".' })
  }
  return toWhere(data.model.table(table), parsed)
}

/**
 * Which of `ids` a subscription of `actor` with `where` receives a change to: the rows of its
 * view, read as realtime reads them after each change (views.ts: the actor's read policy and the
 * subscription's filter, through the data layer's `list`). A row outside the view gets nothing;
 * one that leaves it gets a `leave`.
 */
function receivers(data: DataLayer, actor: Actor, table: string, where: Where | undefined, ids: readonly string[]): Set<string> {
  const byId: Where = { kind: 'in', column: 'id', values: [...ids] }
  const rows = data.list(actor, { table, select: [{ kind: 'column', column: 'id' }], where: where ? { kind: 'and', where: [byId, where] } : byId }, { as: 'objects' }).rows as { id: unknown }[]
  return new Set(rows.map((row) => String(row.id)))
}

