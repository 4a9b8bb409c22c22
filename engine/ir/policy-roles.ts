import { assertNever } from '../shared/assert-never.ts'
import type { PolicyOperation, PolicyPredicateIR, TablePoliciesIR } from './project-ir.ts'

/** Which policy decides: the four operations, and `update`'s check on the changed row. */
export type PolicyRole = PolicyOperation | 'updateCheck'

export const POLICY_ROLES: readonly PolicyRole[] = ['read', 'create', 'update', 'updateCheck', 'delete']

/**
 * The predicate that decides `role` for a table, or null when there is none (deny by default).
 * `update` is the rule that selects the rows that may change (`using`); `updateCheck` the one the
 * changed row must pass (`check`, the same predicate when the user wrote a plain arrow).
 *
 * @example
 * predicateOf(model.policies[0], 'update') // the `using` predicate of that table's update rule
 */
export function predicateOf(policies: TablePoliciesIR | undefined, role: PolicyRole): PolicyPredicateIR | null {
  if (!policies) return null
  switch (role) {
    case 'read':
      return policies.read
    case 'create':
      return policies.create
    case 'update':
      return policies.update?.using ?? null
    case 'updateCheck':
      return policies.update?.check ?? null
    case 'delete':
      return policies.delete
    default:
      return assertNever(role, 'policy role')
  }
}
