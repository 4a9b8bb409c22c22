import type { RelationalRow, TableNameOf } from './infer.ts'

/**
 * Who is asking, as a policy sees it: the signed-in user's id (`null` for an anonymous caller)
 * and the roles granted to them.
 *
 * @example
 * read: (task, auth) => task.createdBy === auth.userId || auth.roles.includes('admin')
 */
export interface PolicyAuth {
  readonly userId: string | null
  readonly roles: readonly string[]
  /** The purposes whose current version the caller has consented to (`defineConfig({ consents })`), and `doNotSell` when set. */
  readonly consents: readonly string[]
}

/**
 * A row-level rule: a plain arrow from the row (with its relations) and the caller to a
 * boolean. `koyalite generate` reads its source and compiles it to SQL, so only a subset of
 * TypeScript is allowed: comparisons, `&& || !`, `?:`, literals, `x === null`,
 * `auth.userId`, `auth.roles.includes('role')`, `['a', 'b'].includes(row.col)`, bool columns,
 * belongs-to traversal and `.some()`/`.every()` over has-many relations.
 *
 * @example
 * const isMember: PolicyPredicate<RelationalRow<typeof schema, 'projects'>> =
 *   (project, auth) => project.workspace.members.some((m) => m.userId === auth.userId)
 */
export type PolicyPredicate<Row> = (row: Row, auth: PolicyAuth) => boolean

/**
 * The update rule: one predicate for both sides, or `using` (which existing rows may be
 * changed) and `check` (what the changed row must satisfy).
 *
 * @example
 * update: {
 *   using: (task, auth) => task.createdBy === auth.userId,
 *   check: (task, auth) => task.createdBy === auth.userId && task.status !== 'done',
 * }
 */
export type UpdateRule<Row> = PolicyPredicate<Row> | { readonly using: PolicyPredicate<Row>; readonly check: PolicyPredicate<Row> }

/**
 * The rules of one table. An operation without a rule is denied to everyone but the system
 * role (deny by default).
 *
 * @example
 * const rules: TableRules<RelationalRow<typeof schema, 'comments'>> = {
 *   read: (comment, auth) => comment.authorId === auth.userId,
 *   delete: (comment, auth) => comment.authorId === auth.userId || auth.roles.includes('admin'),
 * }
 */
export interface TableRules<Row> {
  readonly read?: PolicyPredicate<Row>
  readonly create?: PolicyPredicate<Row>
  readonly update?: UpdateRule<Row>
  readonly delete?: PolicyPredicate<Row>
  /**
   * Evaluate this table's policy before every filter a caller sends. By default filters that
   * cannot fail (`eq`, `in`, `is`, comparisons) run beside the policy so indexes serve them, which
   * lets response times hint how many hidden rows match an equality filter (docs/policies.md).
   * Set `strict` for tables whose filterable columns are secret; their filtered reads then scan
   * the rows the policy admits instead of using an index on the filtered column.
   *
   * @example
   * policies(schema, { salaries: { strict: true, read: (s, auth) => s.userId === auth.userId } })
   */
  readonly strict?: boolean
}

/**
 * Rules keyed by table name, each row typed with its relations across the schema `S` (the
 * module of all tables). A key that is not a table of `S` is a type error.
 *
 * @example
 * const rules: PolicyRules<typeof schema> = { tasks: { read: (task, auth) => task.createdBy === auth.userId } }
 */
export type PolicyRules<S> = { readonly [N in TableNameOf<S>]?: TableRules<RelationalRow<S, N>> }

/** What `policies()` returns: plain, frozen data that `defineConfig({ policies })` takes. */
export interface PoliciesDef {
  readonly kind: 'policies'
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any table's rules; the row types live in policies()
  readonly rules: Readonly<Record<string, TableRules<any>>>
}

/**
 * Row-level-security policies for tables of a schema. Pass the module of all tables so each
 * row parameter is typed with its columns and relations; rules may be split over several
 * files and handed to `defineConfig({ policies })` as an array. Write the rules inline: the
 * compiler reads them from the source, and an unsupported form is an error at its
 * file:line:col.
 *
 * @example
 * import { policies } from 'koyalite'
 * import * as schema from '../schema'
 *
 * export default policies(schema, {
 *   tasks: {
 *     read: (task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId),
 *     create: (task, auth) => task.createdBy === auth.userId,
 *     update: { using: (task, auth) => task.createdBy === auth.userId, check: (task, auth) => task.createdBy === auth.userId },
 *     delete: (task, auth) => auth.roles.includes('admin'),
 *   },
 * })
 */
export function policies<S>(schema: S, rules: NoInfer<PolicyRules<S>>): PoliciesDef {
  void schema // only its type matters: it types the rows
  const frozen: Record<string, TableRules<unknown>> = {}
  for (const [table, tableRules] of Object.entries(rules as Readonly<Record<string, TableRules<unknown>>>)) {
    const update = tableRules.update
    frozen[table] = Object.freeze({ ...tableRules, ...(update !== undefined && typeof update === 'object' ? { update: Object.freeze({ ...update }) } : {}) })
  }
  return Object.freeze({ kind: 'policies', rules: Object.freeze(frozen) })
}
