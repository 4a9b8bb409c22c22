import { sql, type RawBuilder } from 'kysely'
import { printPolicy, type PolicyParam } from '../../ir/policy-printer.ts'
import { POLICY_ROLES, predicateOf, type PolicyRole } from '../../ir/policy-roles.ts'
import type { PolicyPredicateIR, ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { SQLITE_DIALECT } from '../../ir/sql-dialect.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Actor, Operation } from './data-layer.ts'
import type { CallerFilter } from './read-sql.ts'
import type { SqlValue } from './read-plan.ts'

/**
 * Parameters filled per request. A compiled statement keeps these objects where the values go,
 * so one compiled SQL text serves every caller of the same shape (no request value can equal
 * an object, so they cannot be confused with data): the caller's facts, and the request's own
 * values by position (`valueSlot(i)`: a get's id, a new row's columns).
 */
class ValueSlot {
  readonly index: number
  constructor(index: number) {
    this.index = index
  }
}
const valueSlots: ValueSlot[] = []
/** The slot of the request's `i`-th value (`runCached(actor, key, build, values)`). */
export function valueSlot(i: number): string {
  return (valueSlots[i] ??= new ValueSlot(i)) as unknown as string
}
export const ID_SLOT = valueSlot(0)
export const AUTH_USER_SLOT = { slot: 'authUserId' } as unknown as string
export const AUTH_ROLES_SLOT = { slot: 'authRoles' } as unknown as string

/** The positions of the slots in a compiled statement's parameters. */
export type SlotPositions = readonly (readonly [index: number, slot: unknown])[]

export function slotPositions(parameters: readonly unknown[]): SlotPositions {
  const positions: [number, unknown][] = []
  parameters.forEach((p, i) => {
    if (p instanceof ValueSlot || p === AUTH_USER_SLOT || p === AUTH_ROLES_SLOT) positions.push([i, p])
  })
  return positions
}

/** A compiled statement's parameters with the slots filled for this request. */
export function fillSlots(parameters: readonly unknown[], positions: SlotPositions, actor: Actor, values: readonly SqlValue[] | undefined): SqlValue[] {
  const filled = [...parameters] as SqlValue[]
  for (const [index, slot] of positions) {
    if (slot instanceof ValueSlot) filled[index] = values?.[slot.index] ?? null
    else if (slot === AUTH_USER_SLOT) filled[index] = actor.kind === 'user' ? actor.userId : null
    else filled[index] = JSON.stringify(actor.kind === 'user' ? actor.roles : [])
  }
  return filled
}

export type { PolicyRole }

interface CompiledPolicy {
  readonly ir: PolicyPredicateIR
  /** The predicate over `"row"` with its parameters bound (caller facts as slots). */
  readonly predicate: RawBuilder<unknown>
}

/**
 * The access rules of a model, printed once at boot from the PolicyIR in `ProjectIR.policies`
 * by the one policy printer (engine/ir/policy-printer.ts) for SQLite; the runtime never sees
 * TypeScript, and no SQL text is stored in model.json.
 *
 * Deny by default: no policy for an operation means only the system role performs it.
 */
export interface Access {
  /**
   * The FROM item of `table` for the actor: the table itself for the system role, else its rows
   * that pass the operation's policy. The caller's filters are applied inside. Those that may
   * fail (`filter.guarded`) go in `CASE WHEN <policy> THEN <filter> ELSE 0 END`, because SQLite
   * is free to evaluate WHERE terms in any order (even across a flattened subquery), and a filter
   * that errors on a hidden row would be an oracle; CASE evaluates its branches only after the
   * test, so such a filter runs on admitted rows alone. Those that cannot fail (`filter.total`)
   * stay plain terms, so an index on their columns still serves the query.
   *
   * `operation` may list several policies, all of which a row must pass: a write's targets are
   * the rows the caller may read *and* change (PostgreSQL's rule for UPDATE/DELETE with a WHERE),
   * so a filter, a count or a single-object check never runs on a row the caller cannot read.
   *
   * @throws KoyaError KL_API_UNAUTHORIZED (anonymous) or KL_API_POLICY_DENIED (signed in) when
   *   the table has no policy for an operation.
   */
  source(actor: Actor, operation: Operation | readonly PolicyRole[], table: string, filter: CallerFilter | undefined): RawBuilder<unknown>
  /** The compiled policy for a non-system actor; throws as `source` when there is none. */
  policy(actor: Actor, role: PolicyRole, table: string): CompiledPolicy
  /** Whether the table has a policy for the operation (for the 404-or-403 decision). */
  has(role: PolicyRole, table: string): boolean
  /** KL_API_POLICY_DENIED naming the table, operation and policy. */
  denied(role: PolicyRole, table: string, what: string): KoyaError
}

export interface AccessOptions {
  /**
   * Name the policy's source location (`policies/tasks.ts:7:13`) in refusals. Off by default:
   * where a rule lives is for the app's developers (`koyalite dev`) and the logs, not for every
   * client (issue 10). The location always rides on the error's `at` and `cause`, which the
   * server logs and never sends.
   */
  readonly dev?: boolean
}

export function createAccess(model: ProjectIR, options: AccessOptions = {}): Access {
  const compiled = new Map<string, CompiledPolicy>()
  const strict = new Set(model.policies.filter((p) => p.strict === true).map((p) => p.table))
  const key = (role: PolicyRole, table: string) => `${role}\0${table}`
  for (const policies of model.policies) {
    for (const role of POLICY_ROLES) {
      const ir = predicateOf(policies, role)
      if (ir) compiled.set(key(role, policies.table), { ir, predicate: bindPredicate(ir, policies.table, model.tables) })
    }
  }
  const noPolicy = (actor: Actor, role: PolicyRole, table: string): KoyaError => {
    if (actor.kind !== 'user') return new KoyaError('KL_API_UNAUTHORIZED', `Access to "${table}" needs credentials.`)
    const operation = role === 'updateCheck' ? 'update' : role
    return new KoyaError('KL_API_POLICY_DENIED', `Table "${table}" has no ${operation} policy, so only the service key may ${operation} its rows.`, {
      hint: `Add a ${operation} rule for "${table}" to the app's policies(…), or ${operation} from server-side code with the service key.`,
    })
  }
  const policy = (actor: Actor, role: PolicyRole, table: string): CompiledPolicy => {
    const found = compiled.get(key(role, table))
    if (!found) throw noPolicy(actor, role, table)
    return found
  }
  return {
    source(actor, operation, table, filter) {
      // A strict table runs every filter behind its policy (see TablePoliciesIR.strict).
      const behind = actor.kind !== 'system' && strict.has(table)
      const total = filter?.total && !behind ? [filter.total('row')] : []
      const guardedTerms = [...(behind && filter?.total ? [filter.total('row')] : []), ...(filter?.guarded ? [filter.guarded('row')] : [])]
      const guarded = guardedTerms.length === 0 ? undefined : guardedTerms.length === 1 ? guardedTerms[0] : sql.join(guardedTerms, sql` AND `)
      if (actor.kind === 'system') {
        const terms = [...total, ...(guarded ? [guarded] : [])]
        return terms.length === 0 ? sql.id(table) : sql`(SELECT * FROM ${sql.id(table)} AS "row" WHERE ${sql.join(terms, sql` AND `)})`
      }
      const roles = typeof operation === 'string' ? [operation] : operation
      const predicates = roles.map((role) => policy(actor, role, table).predicate)
      const predicate = predicates.length === 1 ? predicates[0]! : sql`(${sql.join(predicates, sql` AND `)})`
      // A plain subquery, which SQLite flattens into the outer query: the policy runs as part of
      // the scan, ORDER BY can use an index and the page stops at LIMIT. (A MATERIALIZED CTE
      // of the admitted rows would also keep filters off hidden rows, but evaluates the policy
      // on the whole table first: 5 req/s instead of ~3000 in bench/policies.)
      const admitted = guarded ? sql`CASE WHEN ${predicate} THEN ${guarded} ELSE 0 END` : predicate
      return sql`(SELECT * FROM ${sql.id(table)} AS "row" WHERE ${sql.join([...total, admitted], sql` AND `)})`
    },
    policy,
    has: (role, table) => compiled.has(key(role, table)),
    denied(role, table, what) {
      const found = compiled.get(key(role, table))
      const name = role === 'updateCheck' ? 'update check' : `${role} policy`
      const where = found ? `${found.ir.at.file}:${found.ir.at.line}:${found.ir.at.column}` : undefined
      const shown = options.dev && where ? ` (${where})` : ''
      return new KoyaError('KL_API_POLICY_DENIED', `The ${name} of "${table}"${shown} ${what}. Nothing was written.`, {
        hint: `See the ${role === 'updateCheck' ? 'update' : role} rule of "${table}" in generated/access.md for what it admits.`,
        ...(found ? { at: found.ir.at, cause: new Error(`refused by the ${name} of "${table}" at ${where}`) } : {}),
      })
    },
  }
}

/** The printed policy as a RawBuilder: each parameter bound where it stands, caller facts as slots. */
function bindPredicate(ir: PolicyPredicateIR, table: string, tables: readonly TableIR[]): RawBuilder<unknown> {
  const { parts, params } = printPolicy(ir.expr, table, tables, SQLITE_DIALECT)
  let built: RawBuilder<unknown> = sql.raw(parts[0]!)
  params.forEach((param, i) => {
    built = sql`${built}${paramValue(param)}${sql.raw(parts[i + 1]!)}`
  })
  return sql`(${built})`
}

function paramValue(param: PolicyParam): SqlValue {
  switch (param.kind) {
    case 'value':
      return param.value
    case 'authUserId':
      return AUTH_USER_SLOT
    case 'authRoles':
      return AUTH_ROLES_SLOT
    default:
      return assertNever(param, 'policy parameter')
  }
}
