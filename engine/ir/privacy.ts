import { PASSWORD_MIN_LENGTH } from '../shared/auth-fields.ts'
import type { ColumnIR, ProjectIR, TableIR } from './project-ir.ts'

/**
 * Each user's latest choice per consent purpose (`userId`, `purpose`, `version`, `granted`), kept
 * beside the `_koya_consents` history by the auth module; what `auth.consents.includes(…)` reads.
 */
export const CONSENT_STATE_TABLE = '_koya_consent_state'

/**
 * The tables a user's export and erasure reach (an owner path to the users table), nearest
 * first: the users table, then by path length, then by name.
 *
 * @example
 * ownedTables(model).map((t) => t.name) // ['users', 'workspaces', 'members', …]
 */
export function ownedTables(model: Pick<ProjectIR, 'tables'>): TableIR[] {
  return model.tables
    .filter((t) => t.privacy?.owner != null)
    .sort((a, b) => a.privacy!.owner!.length - b.privacy!.owner!.length || a.name.localeCompare(b.name))
}

/** The columns of a table marked personal (`.personal()`, `.phi()`, the users table's email). */
export function personalColumns(table: TableIR): string[] {
  return table.columns.filter((c) => c.personal === true).map((c) => c.name)
}

/** The columns of a table marked `.phi()`. */
export function phiColumns(table: TableIR): string[] {
  return table.columns.filter((c) => c.phi === true).map((c) => c.name)
}

/**
 * The `synchronous` level the app's database connection runs at: as written in
 * `database.synchronous`, else 'full' in HIPAA mode (a committed write survives a power loss),
 * else 'normal' (WAL: durable at checkpoints).
 *
 * @example
 * synchronousOf({ compliance: { hipaa: true } }) // 'full'
 */
export function synchronousOf(model: Pick<ProjectIR, 'database' | 'compliance'>): 'normal' | 'full' {
  return model.database?.synchronous ?? (model.compliance?.hipaa === true ? 'full' : 'normal')
}

/** The shortest password HIPAA mode accepts as a policy (docs/compliance.md, "strong"). */
export const HIPAA_PASSWORD_MIN_LENGTH = 12

/**
 * The fewest characters a password must have: `auth.password.minLength`, else 12 in HIPAA mode,
 * else 10.
 *
 * @example
 * passwordMinLengthOf({ auth: { password: { minLength: 14 } }, compliance: undefined }) // 14
 */
export function passwordMinLengthOf(model: { readonly auth: { readonly password?: { readonly minLength: number } }; readonly compliance?: ProjectIR['compliance'] }): number {
  return model.auth.password?.minLength ?? (model.compliance?.hipaa === true ? HIPAA_PASSWORD_MIN_LENGTH : PASSWORD_MIN_LENGTH)
}

/**
 * A value as an error message may quote it: its first 100 characters in quotes, or a placeholder
 * when the column holds personal data (`.personal()`, `.phi()`, the users table's email), so that
 * personal values never reach error answers or the logs that copy them.
 *
 * @example
 * quotedValue(diagnosis, 'HIV') // '[a personal value]'
 * quotedValue(status, 'dnoe')   // '"dnoe"'
 */
export function quotedValue(column: Pick<ColumnIR, 'personal'>, value: string): string {
  return column.personal === true ? '[a personal value]' : JSON.stringify(value.slice(0, 100))
}
