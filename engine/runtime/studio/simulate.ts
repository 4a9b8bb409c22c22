import type { AdminDeps } from '../admin/admin-routes.ts'
import type { Actor, DataLayer, Operation, PolicySimulation } from '../data/data-layer.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'

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
}

/**
 * The policy simulator behind `POST /admin/studio/simulate`: builds the actor (a user with their
 * granted roles, or the roles given; or anonymous) and asks the data layer for each row's
 * verdicts. Impersonates nobody and writes nothing.
 */
export function simulate(data: DataLayer, model: Pick<ProjectIR, 'buckets'>, admin: Pick<AdminDeps, 'users' | 'grants'>, input: SimulateInput): PolicySimulation & { actor: { userId: string | null; roles: readonly string[] } } {
  if ((input.table === undefined) === (input.bucket === undefined)) {
    throw new KoyaError('KL_API_VALIDATION', 'A simulation judges a table\'s rows or a bucket\'s objects: give one of `table` and `bucket`.', { hint: 'For example { "table": "tasks", "operation": "read", "userId": null }.' })
  }
  if (input.bucket !== undefined && !(model.buckets ?? []).some((bucket) => bucket.name === input.bucket)) {
    throw new KoyaError('KL_API_NOT_FOUND', `The app has no storage bucket "${input.bucket}".`, { hint: `Buckets: ${(model.buckets ?? []).map((b) => b.name).join(', ') || '(none)'}.` })
  }
  let actor: Actor = { kind: 'anonymous' }
  if (input.userId !== null) {
    if (admin.users.findById(input.userId) === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No user has the id "${input.userId}".`, { hint: 'Pick a user of the users table, or null for an anonymous caller.' })
    actor = { kind: 'user', userId: input.userId, roles: input.roles ?? admin.grants.rolesOf(input.userId) }
  }
  const page = { limit: input.limit ?? 50, ...(input.after === undefined ? {} : { after: input.after }), ...(input.bucket === undefined ? {} : { equals: { column: 'bucket', value: input.bucket } }) }
  const result = data.simulate(actor, input.table ?? OBJECTS_TABLE, input.operation, page)
  return { ...result, actor: { userId: input.userId, roles: actor.kind === 'user' ? actor.roles : [] } }
}

