import type { CompareOperator, PolicyExprIR, PolicyLiteral, PolicyValueIR, TableIR } from '../../engine/ir/project-ir.ts'
import type { Row, Rows } from './policy-evaluator.ts'

/**
 * Deterministic random rows and PolicyExprIR over the policy test schema, from a seed (the
 * property test draws seeds with fast-check; a failing seed is kept as a regression case).
 */
export class Random {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  int(max: number): number {
    return Math.floor(this.next() * max)
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  chance(p: number): boolean {
    return this.next() < p
  }
}

const STATUSES = ['todo', 'doing', 'done']
const ROLES = ['owner', 'editor', 'viewer']
const TITLES = ['a', 'b', 'c']
export const APP_ROLES = ['admin', 'support']

/** Random rows for every table, consistent with the foreign keys (ids are short and readable). */
export function randomRows(random: Random): Rows {
  const users = Array.from({ length: 2 + random.int(3) }, (_, i) => ({ id: `u${i}`, name: random.pick(TITLES), level: random.chance(0.3) ? null : random.int(4) }))
  const userId = () => random.pick(users).id
  const workspaces = Array.from({ length: 1 + random.int(3) }, (_, i) => ({ id: `w${i}`, name: random.pick(TITLES), ownerId: userId() }))
  const members: Row[] = []
  for (const w of workspaces) for (const u of users) if (random.chance(0.4)) members.push({ id: `m${members.length}`, workspaceId: w.id, userId: u.id, role: random.pick(ROLES) })
  const projects = Array.from({ length: 1 + random.int(3) }, (_, i) => ({
    id: `p${i}`,
    workspaceId: random.pick(workspaces).id,
    name: random.pick(TITLES),
    archived: random.chance(0.3) ? null : random.int(2),
    leadId: random.chance(0.4) ? null : userId(),
  }))
  const tasks = Array.from({ length: random.int(7) }, (_, i) => ({
    id: `t${i}`,
    projectId: random.pick(projects).id,
    title: random.pick(TITLES),
    status: random.pick(STATUSES),
    priority: random.chance(0.3) ? null : random.int(4),
    assigneeId: random.chance(0.4) ? null : userId(),
    ownerId: userId(),
  }))
  return { users, workspaces, members, projects, tasks }
}

type Kind = 'text' | 'int' | 'bool'

function kindOf(table: TableIR, column: string): Kind {
  const type = table.columns.find((c) => c.name === column)!.type
  return type === 'int' || type === 'real' ? 'int' : type === 'bool' ? 'bool' : 'text'
}

const TEXT_LITERALS = ['u0', 'u1', 'u2', 'w0', 'w1', 'p0', 'p1', 't0', 't1', ...STATUSES, ...ROLES, ...TITLES]

/** What random expressions draw their literals and roles from. */
export interface ExprOptions {
  readonly texts?: readonly string[]
  readonly ints?: readonly number[]
  readonly roles?: readonly string[]
  /**
   * The chance that an `in` list mixes numbers and strings (`['1', 2].includes(task.priority)`,
   * which TypeScript accepts): SQLite's column affinity must not make '1' equal 1.
   */
  readonly mixedLists?: number
}

/** Random PolicyExprIR over `table`, with `.some/.every`, belongs-to paths and every atom. */
export function randomExpr(random: Random, table: string, tables: readonly TableIR[], depth = 3, options: ExprOptions = {}): PolicyExprIR {
  const byName = new Map(tables.map((t) => [t.name, t]))
  const roles = options.roles ?? APP_ROLES
  const literalOf = (random: Random, kind: Kind): PolicyLiteral => {
    if (kind === 'int') return options.ints ? random.pick(options.ints) : random.int(4)
    if (kind === 'bool') return random.chance(0.5)
    return random.pick(options.texts ?? TEXT_LITERALS)
  }
  const tableOf = (name: string) => byName.get(name)!

  /** A scope and a belongs-to path from it (up to two hops), and where it lands. */
  const reach = (scopes: readonly string[]): { scope: number; path: string[]; table: TableIR } => {
    const scope = random.int(scopes.length)
    let at = tableOf(scopes[scope]!)
    const path: string[] = []
    while (path.length < 2 && random.chance(0.4)) {
      const parents = at.relations.filter((r) => r.kind === 'belongsTo')
      if (parents.length === 0) break
      const relation = random.pick(parents)
      path.push(relation.name)
      at = tableOf(relation.table)
    }
    return { scope, path, table: at }
  }

  const columnValue = (scopes: readonly string[], wanted?: Kind): { value: PolicyValueIR; kind: Kind } | undefined => {
    for (let tries = 0; tries < 6; tries++) {
      const { scope, path, table: at } = reach(scopes)
      const columns = at.columns.filter((c) => wanted === undefined || kindOf(at, c.name) === wanted)
      if (columns.length === 0) continue
      const column = random.pick(columns).name
      return { value: { kind: 'column', scope, path, column }, kind: kindOf(at, column) }
    }
    return undefined
  }

  const atom = (scopes: readonly string[]): PolicyExprIR => {
    switch (random.int(7)) {
      case 0:
        return { kind: 'constant', value: random.chance(0.5) }
      case 1:
      case 2: {
        const left = columnValue(scopes)!
        const choice = random.int(4)
        let right: PolicyValueIR
        if (choice === 0 && left.kind === 'text') right = { kind: 'authUserId' }
        else if (choice === 1) right = columnValue(scopes, left.kind)?.value ?? { kind: 'literal', value: literalOf(random, left.kind) }
        else right = { kind: 'literal', value: literalOf(random, left.kind) }
        const operator = random.pick<CompareOperator>(['=', '=', '<>', '<', '<=', '>', '>='])
        return random.chance(0.5) ? { kind: 'compare', operator, left: left.value, right } : { kind: 'compare', operator, left: right, right: left.value }
      }
      case 3: {
        const value = random.chance(0.15) ? ({ kind: 'authUserId' } as const) : columnValue(scopes)!.value
        return { kind: 'isNull', value, negated: random.chance(0.5) }
      }
      case 4: {
        const value = columnValue(scopes)!
        if (value.kind === 'bool') return { kind: 'truthy', value: value.value }
        const mixed = options.mixedLists !== undefined && random.chance(options.mixedLists)
        // A mixed list's other items look like the value's kind: '1' for an int, 1 for a text.
        const lookalike = (): PolicyLiteral => (value.kind === 'int' ? String(literalOf(random, 'int')) : Number(random.int(4)))
        const list = Array.from({ length: random.int(4) }, () => (mixed && random.chance(0.5) ? lookalike() : literalOf(random, value.kind)))
        return { kind: 'in', value: value.value, list }
      }
      case 5:
        return { kind: 'hasRole', role: random.pick(roles) }
      default: {
        const value = columnValue(scopes, 'bool')
        return value ? { kind: 'truthy', value: value.value } : { kind: 'constant', value: true }
      }
    }
  }

  const expr = (scopes: readonly string[], depth: number): PolicyExprIR => {
    if (depth === 0 || random.chance(0.3)) return atom(scopes)
    switch (random.int(6)) {
      case 0:
        return { kind: 'not', expr: expr(scopes, depth - 1) }
      case 1:
      case 2:
        return { kind: random.chance(0.5) ? 'and' : 'or', exprs: Array.from({ length: random.int(4) }, () => expr(scopes, depth - 1)) }
      case 3:
        return { kind: 'conditional', test: expr(scopes, depth - 1), then: expr(scopes, depth - 1), otherwise: expr(scopes, depth - 1) }
      default: {
        const { scope, path, table: at } = reach(scopes)
        const children = at.relations.filter((r) => r.kind === 'hasMany')
        if (children.length === 0) return atom(scopes)
        const relation = random.pick(children)
        return {
          kind: random.chance(0.6) ? 'some' : 'every',
          scope,
          path,
          relation: relation.name,
          predicate: expr([...scopes, relation.table], depth - 1),
        }
      }
    }
  }

  return expr([table], depth)
}

/** INSERT statements for the rows (as the system role would seed them). */
export function insertRows(rows: Rows): { sql: string; values: unknown[] }[] {
  const order = ['users', 'workspaces', 'members', 'projects', 'tasks']
  return order.flatMap((table) =>
    (rows[table] ?? []).map((row) => {
      const columns = Object.keys(row)
      return { sql: `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values: Object.values(row) }
    }),
  )
}
