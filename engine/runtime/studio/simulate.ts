import type { AdminDeps } from '../admin/admin-routes.ts'
import type { Actor, DataLayer, Operation, PolicySimulation } from '../data/data-layer.ts'
import { KoyaError } from '../../shared/errors.ts'

export interface SimulateInput {
  readonly table: string
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
export function simulate(data: DataLayer, admin: Pick<AdminDeps, 'users' | 'grants'>, input: SimulateInput): PolicySimulation & { actor: { userId: string | null; roles: readonly string[] } } {
  let actor: Actor = { kind: 'anonymous' }
  if (input.userId !== null) {
    if (admin.users.findById(input.userId) === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No user has the id "${input.userId}".`, { hint: 'Pick a user of the users table, or null for an anonymous caller.' })
    actor = { kind: 'user', userId: input.userId, roles: input.roles ?? admin.grants.rolesOf(input.userId) }
  }
  const result = data.simulate(actor, input.table, input.operation, { limit: input.limit ?? 50, ...(input.after === undefined ? {} : { after: input.after }) })
  return { ...result, actor: { userId: input.userId, roles: actor.kind === 'user' ? actor.roles : [] } }
}

