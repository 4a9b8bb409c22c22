import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { lazyStatement } from './lazy-statement.ts'

export interface RoleGrants {
  /** The user's granted roles, sorted. */
  rolesOf(userId: string): string[]
  /** @throws KoyaError KL_AUTH_UNKNOWN_ROLE for a role the model does not declare. */
  grant(userId: string, role: string, grantedBy: string | null, now: Date): void
  /** @throws KoyaError KL_AUTH_UNKNOWN_ROLE */
  revoke(userId: string, role: string): void
}

/**
 * Role grants in `_koya_role_grants`; the declared roles (ProjectIR.roles) are the only ones
 * that can be granted.
 *
 * @example
 * const grants = createRoleGrants(db, model.roles)
 * grants.grant(userId, 'support', adminId, new Date())
 */
export function createRoleGrants(db: SqliteDatabase, declared: readonly string[]): RoleGrants {
  const select = lazyStatement(db, 'SELECT "role" FROM "_koya_role_grants" WHERE "userId" = ? ORDER BY "role"')
  const insert = lazyStatement(db, 'INSERT INTO "_koya_role_grants" ("userId", "role", "grantedBy", "createdAt") VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
  const remove = lazyStatement(db, 'DELETE FROM "_koya_role_grants" WHERE "userId" = ? AND "role" = ?')
  const known = new Set(declared)
  const checkRole = (role: string) => {
    if (!known.has(role)) {
      throw new KoyaError('KL_AUTH_UNKNOWN_ROLE', `Role "${role}" is not declared.`, { hint: `Declared roles: ${[...known].join(', ')}.` })
    }
  }
  return {
    rolesOf: (userId) => (select().all(userId) as { role: string }[]).map((r) => r.role),
    grant(userId, role, grantedBy, now) {
      checkRole(role)
      insert().run(userId, role, grantedBy, now.toISOString())
    },
    revoke(userId, role) {
      checkRole(role)
      remove().run(userId, role)
    },
  }
}
