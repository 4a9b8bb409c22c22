import { DO_NOT_SELL_PURPOSE } from '../dsl/index.ts'
import { phiColumns } from '../ir/privacy.ts'
import type { ProjectIR } from '../ir/project-ir.ts'
import type { ValidConfigDef } from './def-schemas.ts'
import type { Problems } from './problems.ts'

/**
 * `consents`, `database` and `compliance` of defineConfig as IR; each absent when not written,
 * so model.json of a project without them is unchanged. The key of `database.encryption` must
 * come from the environment: a key written inline would be copied into generated/.
 */
export function buildComplianceIRs(config: ValidConfigDef, problems: Problems): Pick<ProjectIR, 'consents' | 'database' | 'compliance'> {
  const result: { -readonly [K in 'consents' | 'database' | 'compliance']?: ProjectIR[K] } = {}
  if (config.consents !== undefined) {
    if (DO_NOT_SELL_PURPOSE in config.consents) {
      problems.add('KL_DEF_INVALID', `consents.${DO_NOT_SELL_PURPOSE} is built in (the CCPA "do not sell or share" flag).`, problems.atConfig(`consents.${DO_NOT_SELL_PURPOSE}`), 'Name your purpose otherwise; every app has doNotSell.')
    }
    result.consents = Object.entries(config.consents)
      .map(([name, def]) => ({ name, version: def.version, description: def.description }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }
  if (config.database !== undefined) {
    const key = config.database.encryption?.key
    if (typeof key === 'string') {
      problems.add('KL_DEF_INVALID', 'database.encryption.key is written inline; a key in koyalite.ts would be copied into generated/ and version control.', problems.atConfig('database.encryption.key'), "Read it from the environment: env('KOYA_DB_KEY').")
    }
    const synchronous = config.database.synchronous
    const replicate = config.database.replicate
    if (replicate !== undefined && key !== undefined) {
      problems.add('KL_DEF_INVALID', 'database.replicate streams the database file with Litestream, which cannot read an encrypted (SQLCipher) file.', problems.atConfig('database.replicate'), 'Keep encryption and take encrypted backups (`backups` in defineConfig, docs/backup.md), or replicate an unencrypted database.')
    }
    result.database = { encryption: key === undefined || typeof key === 'string' ? null : { key: { env: key.name } }, ...(synchronous === undefined ? {} : { synchronous }), ...(replicate === undefined ? {} : { replicate }) }
  }
  if (config.compliance !== undefined) result.compliance = { hipaa: config.compliance.hipaa === true }
  if (config.compliance?.hipaa === true && config.database?.synchronous === 'normal') {
    problems.add('KL_DEF_INVALID', "database.synchronous is 'normal' and HIPAA mode needs 'full' (a committed write must survive a power loss).", problems.atConfig('database.synchronous'), "Remove database.synchronous (HIPAA mode defaults it to 'full') or set it to 'full'.")
  }
  return result
}

/**
 * HIPAA mode: every table with `.phi()` columns needs a read policy (deny by default is not
 * enough: who may read PHI must be written down). The start checks it too
 * (runtime/compliance/hipaa.ts); here it fails `koyalite generate`, with the table's location.
 */
export function checkPhiReadPolicies(ir: ProjectIR, problems: Problems): void {
  if (ir.compliance?.hipaa !== true) return
  const read = new Set(ir.policies.filter((p) => p.read != null).map((p) => p.table))
  for (const table of ir.tables) {
    const phi = phiColumns(table)
    if (phi.length === 0 || read.has(table.name)) continue
    problems.add('KL_COMPLIANCE_HIPAA_PHI_POLICY', `Table "${table.name}" has PHI columns (${phi.join(', ')}) and no read policy; HIPAA mode needs one.`, problems.atTable(table.name), `Write policies(schema, { ${table.name}: { read: (row, auth) => … } }) naming who may read its rows.`)
  }
}
