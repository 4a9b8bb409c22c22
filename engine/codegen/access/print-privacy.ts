import type { TableIR } from '../../ir/project-ir.ts'

/**
 * access.md's lines on a table's personal data (docs/compliance.md): which columns are personal
 * or PHI, the owner path export and erasure follow, and what erasure does. Nothing for a table
 * without annotations or owner path, so access.md of such a project is unchanged.
 */
export function printPrivacy(table: TableIR): string[] {
  const personal = table.columns.filter((c) => c.personal === true)
  if (personal.length === 0 && table.privacy === undefined) return []
  const lines = ['']
  if (personal.length > 0) {
    lines.push(`Personal data: ${personal.map((c) => `\`${c.name}\`${c.phi === true ? ' (PHI)' : ''}`).join(', ')}.`)
  }
  const privacy = table.privacy
  if (privacy !== undefined) {
    const owner =
      privacy.owner === null ? 'none (export and erasure do not reach these rows)'
      : privacy.owner.length === 0 ? 'the row is the user'
      : `\`${privacy.owner.join('.')}\` (${privacy.ownerDeclared ? 'declared' : 'inferred'})`
    lines.push(`Owner path: ${owner}. On erasure: ${privacy.onErase}.`)
  } else {
    lines.push('Owner path: none (export and erasure do not reach these rows).')
  }
  return lines
}
