import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { passwordMinLengthOf } from '../../ir/privacy.ts'
import { checkPasswordRules, hashPassword } from '../auth/passwords.ts'
import type { RoleGrants } from '../auth/role-grants.ts'
import { createUserDirectory, normalizeEmail } from '../auth/user-directory.ts'
import type { DataLayer } from '../data/data-layer.ts'

/** The columns of the users table that auth fills or the system sets. */
const MANAGED = new Set(['id', 'email', 'emailVerified', 'createdAt', 'updatedAt'])

/** The users table's columns the setup form must ask for (required, no default). */
export function setupFields(model: ProjectIR): string[] {
  const users = model.tables.find((table) => table.isUsers)
  return (users?.columns ?? []).filter((c) => !MANAGED.has(c.name) && !c.readOnly && !c.nullable && c.default === null).map((c) => c.name)
}

/** Whether any user holds the admin role (the app declares it and a grant exists). */
export function hasAdmin(db: SqliteDatabase): boolean {
  const table = db.prepare(`SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = '_koya_role_grants'`).get()
  return table !== undefined && db.prepare(`SELECT 1 FROM "_koya_role_grants" WHERE "role" = 'admin' LIMIT 1`).get() !== undefined
}

/**
 * Whether Studio's first-run setup is open on this database: the app has a users table and an
 * `admin` role, and nobody holds it yet.
 *
 * @example
 * if (needsStudioSetup(model, db)) io.out(`create the first admin: ${url}/_/setup#${token}`)
 */
export function needsStudioSetup(model: ProjectIR, db: SqliteDatabase): boolean {
  return model.tables.some((table) => table.isUsers) && model.roles.includes('admin') && !hasAdmin(db)
}

/** A fresh one-time setup token (the CLI makes one per process; the link carries it). */
export function newSetupToken(): string {
  return randomBytes(24).toString('base64url')
}

/** The path of the setup link: the token after `#`, so it never reaches a server log or a Referer. */
export function setupPath(token: string): string {
  return `/_/setup#token=${token}`
}

export interface SetupInput {
  readonly token: string
  readonly email: string
  readonly password: string
  readonly profile?: Record<string, unknown>
}

/**
 * Create the first admin: a verified user with a password and the admin role, in one
 * transaction that re-checks that no admin exists (two setup posts cannot both win).
 */
export async function createFirstAdmin(deps: { model: ProjectIR; db: SqliteDatabase; data: DataLayer; grants: RoleGrants; clock: () => Date }, expected: string, input: SetupInput): Promise<string> {
  const refused = () => new KoyaError('KL_AUTH_SETUP_REFUSED', 'The setup link is wrong or was used, or an admin already exists.')
  const given = Buffer.from(input.token)
  const wanted = Buffer.from(expected)
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted) || !needsStudioSetup(deps.model, deps.db)) throw refused()
  checkPasswordRules(input.password, passwordMinLengthOf(deps.model))
  const passwordHash = await hashPassword(input.password)
  const users = createUserDirectory(deps.db, deps.data)
  const email = normalizeEmail(input.email)
  return deps.db.transaction(() => {
    if (hasAdmin(deps.db)) throw refused()
    if (users.findByEmail(email) !== undefined) throw new KoyaError('KL_AUTH_EMAIL_TAKEN', 'An account with this email already exists.')
    const profile = Object.fromEntries(Object.entries(input.profile ?? {}).filter(([name]) => !MANAGED.has(name)))
    const id = users.insertUser({ ...profile, email, emailVerified: true })
    users.setPasswordHash(id, passwordHash, deps.clock())
    deps.grants.grant(id, 'admin', null, deps.clock())
    return id
  })()
}
