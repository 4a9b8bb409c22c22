import { HIPAA_PASSWORD_MIN_LENGTH, passwordMinLengthOf, phiColumns } from '../../ir/privacy.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError, KoyaErrorList } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { resolveAuthSettings, type Env } from '../auth/auth-settings.ts'
import { httpSettingsOf } from '../protection/http-settings.ts'

/** The longest session idle timeout HIPAA mode accepts. */
const MAX_IDLE_SECONDS = 15 * 60
/** The shortest HSTS max-age HIPAA mode accepts: one year, helmet's default and the preload list's floor. */
const MIN_HSTS_SECONDS = 365 * 24 * 60 * 60

/**
 * HIPAA mode's start-up check (`compliance: { hipaa: true }`, docs/compliance.md): every unmet
 * requirement at once, each with its `KL_COMPLIANCE_*` code. Nothing for an app without it.
 *
 * @throws KoyaErrorList when a requirement is unmet.
 * @example
 * checkHipaa(model, db, process.env) // throws: KL_COMPLIANCE_HIPAA_ENCRYPTION, KL_COMPLIANCE_HIPAA_HTTPS, …
 */
export function checkHipaa(model: ProjectIR, db: SqliteDatabase, env: Env): void {
  if (model.compliance?.hipaa !== true) return
  const unmet: KoyaError[] = []
  if (model.database?.encryption == null || !isEncrypted(db)) {
    unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_ENCRYPTION', 'HIPAA mode needs the database encrypted at rest, and it is not.'))
  }
  const publicUrl = resolveAuthSettings(model.auth, env).publicUrl
  if (!publicUrl.startsWith('https://')) unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_HTTPS', `HIPAA mode needs an https public URL; it is ${publicUrl}.`))
  if (db.pragma('synchronous', { simple: true }) !== 2) unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_SYNCHRONOUS', 'HIPAA mode needs synchronous=FULL, so a committed write survives a power loss.'))
  if (model.auth.session.idleTimeoutSeconds > MAX_IDLE_SECONDS) {
    unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_SESSION_IDLE', `HIPAA mode needs a session idle timeout of 15 minutes or less; it is ${model.auth.session.idleTimeoutSeconds / 60} minutes.`))
  }
  const hsts = hstsProblem(httpSettingsOf(model, env, false).headers['strict-transport-security'])
  if (hsts !== undefined) unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_HSTS', `HIPAA mode needs HSTS sent with a max-age of at least one year (${MIN_HSTS_SECONDS} s); ${hsts}.`))
  const minLength = passwordMinLengthOf(model)
  if (minLength < HIPAA_PASSWORD_MIN_LENGTH) {
    unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_PASSWORD_POLICY', `HIPAA mode needs passwords of at least ${HIPAA_PASSWORD_MIN_LENGTH} characters; auth.password.minLength is ${minLength}.`))
  }
  const policies = new Map(model.policies.map((p) => [p.table, p]))
  for (const table of model.tables) {
    if (phiColumns(table).length > 0 && policies.get(table.name)?.read == null) {
      unmet.push(new KoyaError('KL_COMPLIANCE_HIPAA_PHI_POLICY', `Table "${table.name}" has PHI columns (${phiColumns(table).join(', ')}) and no read policy.`))
    }
  }
  if (unmet.length > 0) throw new KoyaErrorList(unmet)
}

/**
 * What is wrong with the app's `strict-transport-security` header override, if anything:
 * removed (`false`), or a max-age under a year. No override: helmet's one-year header is sent.
 */
function hstsProblem(header: string | false | undefined): string | undefined {
  if (header === undefined) return undefined
  if (header === false) return 'http.headers removes it'
  const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(header)?.[1]
  if (maxAge === undefined) return `http.headers sets it without a max-age ("${header}")`
  if (Number(maxAge) < MIN_HSTS_SECONDS) return `http.headers sets max-age=${maxAge}`
  return undefined
}

/** Whether the connection is SQLCipher's: its `cipher` pragma answers only there. */
function isEncrypted(db: SqliteDatabase): boolean {
  try {
    return typeof db.pragma('cipher', { simple: true }) === 'string'
  } catch {
    return false
  }
}
