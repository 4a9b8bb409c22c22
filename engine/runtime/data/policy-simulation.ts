import { sql } from 'kysely'
import { fillSlots, slotPositions, type PolicyRole } from './access.ts'
import type { Actor, Operation } from './data-layer.ts'
import type { IndexedTable } from './model-index.ts'
import type { DataContext } from './reads.ts'

/** One policy the simulated operation must pass, as the runtime runs it. */
export interface SimulatedPolicy {
  readonly role: PolicyRole
  /** The arrow function as written, and where; null when the table has no rule (deny by default). */
  readonly source: string | null
  readonly at: string | null
  /** The compiled SQL predicate over `"row"`, `?` for parameters; null when there is no rule. */
  readonly sql: string | null
  /** The predicate's parameters, the caller's facts (user id, roles) filled for the simulated actor. */
  readonly parameters: readonly unknown[]
}

export interface SimulatedRow {
  readonly id: string
  /** Whether the operation is allowed on this row: every listed policy passes. */
  readonly allowed: boolean
  /** Each policy's verdict on this row, by role. */
  readonly verdicts: Readonly<Partial<Record<PolicyRole, boolean>>>
  /** The row as stored (the model's columns). */
  readonly row: Readonly<Record<string, unknown>>
}

export interface PolicySimulation {
  readonly table: string
  readonly operation: Operation
  readonly policies: readonly SimulatedPolicy[]
  readonly rows: readonly SimulatedRow[]
  /** The id to pass as `after` for the next page, or null on the last one. */
  readonly next: string | null
}

/** A page of the simulation: rows after `after` (by id), optionally only those whose `column` equals `value` (a bucket's objects). */
export interface SimulationPage {
  readonly limit: number
  readonly after?: string
  readonly equals?: { readonly column: string; readonly value: string }
}

/**
 * The policies an operation's rows must pass, as the data layer applies them: a row is read
 * when the read policy admits it; updated or deleted when the caller may read it *and* the
 * operation's policy admits it (write-targets.ts). `create` has no existing row to judge: each
 * row is judged as if it were the proposed row (the create check evaluated on it).
 */
export function simulatedRoles(operation: Operation): readonly PolicyRole[] {
  return operation === 'read' ? ['read'] : operation === 'create' ? ['create'] : ['read', operation]
}

/**
 * "Which rows of this table may this actor read / update / delete?": every row of a page (by
 * id, keyset), each with the verdict of each policy, evaluated by SQLite with the very
 * predicates the runtime compiled at boot (access.ts), and those predicates' SQL text. Runs as
 * the system (it sees every row) with the simulated actor's facts bound in the predicates. Not
 * on any request's path: Studio's policy simulator calls it.
 */
export function simulatePolicies(ctx: DataContext, actor: Actor, table: IndexedTable, operation: Operation, page: SimulationPage): PolicySimulation {
  const roles = simulatedRoles(operation)
  const policies: SimulatedPolicy[] = []
  const verdictColumns = roles.map((role, i) => {
    if (actor.kind === 'system') {
      policies.push({ role, source: null, at: null, sql: 'TRUE (the system role bypasses policies)', parameters: [] })
      return sql`1 AS ${sql.id(`v${i}`)}`
    }
    if (!ctx.access.has(role, table.name)) {
      policies.push({ role, source: null, at: null, sql: null, parameters: [] })
      return sql`0 AS ${sql.id(`v${i}`)}`
    }
    const { ir, predicate } = ctx.access.policy(actor, role, table.name)
    const compiled = ctx.runner.compile(sql`SELECT ${predicate}`)
    policies.push({
      role,
      source: ir.source,
      at: `${ir.at.file}:${ir.at.line}:${ir.at.column}`,
      sql: compiled.sql.replace(/^select /i, ''),
      parameters: fillSlots(compiled.parameters, slotPositions(compiled.parameters), actor, undefined),
    })
    return sql`COALESCE(${predicate}, 0) AS ${sql.id(`v${i}`)}`
  })
  const columns = table.ir.columns.map((c) => sql`"row".${sql.id(c.name)}`)
  const conditions = [
    ...(page.after === undefined ? [] : [sql`"row"."id" > ${page.after}`]),
    ...(page.equals === undefined || !table.ir.columns.some((c) => c.name === page.equals!.column) ? [] : [sql`"row".${sql.id(page.equals.column)} = ${page.equals.value}`]),
  ]
  const where = conditions.length === 0 ? sql`` : sql`WHERE ${sql.join(conditions, sql` AND `)}`
  const query = sql<Record<string, unknown>>`SELECT ${sql.join([...columns, ...verdictColumns])} FROM ${sql.id(table.name)} AS "row" ${where} ORDER BY "row"."id" LIMIT +${page.limit + 1}`
  const found = ctx.runner.run(actor, query)
  const rows = found.slice(0, page.limit).map((stored) => {
    const verdicts: Partial<Record<PolicyRole, boolean>> = {}
    roles.forEach((role, i) => (verdicts[role] = stored[`v${i}`] === 1))
    const row: Record<string, unknown> = {}
    for (const c of table.ir.columns) row[c.name] = typeof stored[c.name] === 'bigint' ? String(stored[c.name]) : stored[c.name]
    return { id: String(stored.id), allowed: roles.every((role) => verdicts[role]), verdicts, row }
  })
  return { table: table.name, operation, policies, rows, next: found.length > page.limit ? rows[rows.length - 1]!.id : null }
}
