import type { ColumnIR, ColumnType, TableIR } from '../project-ir.ts'

/**
 * The names of a table's GraphQL surface: what the SDL printer declares and what the runtime's
 * resolvers are keyed by. One function, so the two cannot drift apart.
 *
 * @example
 * graphqlNamesOf(tasks).updateById // 'updateTaskById'
 */
export interface GraphqlTableNames {
  /** The object type: the table's singular PascalCase name (`Task`). */
  readonly type: string
  readonly where: string
  /** `some`/`every`/`none` over this table as a has-many relation. */
  readonly listWhere: string
  readonly orderBy: string
  readonly insert: string
  readonly patch: string
  /** The columns as an enum (upsert's conflict target). */
  readonly column: string
  /** `{ affected, rows }`: what a write of many rows answers. */
  readonly mutationResult: string
  /** Query fields. */
  readonly list: string
  readonly byId: string
  readonly count: string
  /** Mutation fields. */
  readonly create: string
  readonly createMany: string
  readonly upsert: string
  readonly updateById: string
  readonly updateMany: string
  readonly deleteById: string
  readonly deleteMany: string
  /** Subscription: one row change (`TaskChange`) and the field that streams them (`tasksChanges`). */
  readonly change: string
  readonly changes: string
}

export function graphqlNamesOf(table: TableIR): GraphqlTableNames {
  const type = table.typeName
  return {
    type,
    where: `${type}Where`,
    listWhere: `${type}ListWhere`,
    orderBy: `${type}OrderBy`,
    insert: `${type}Insert`,
    patch: `${type}Patch`,
    column: `${type}Column`,
    mutationResult: `${type}MutationResult`,
    list: table.name,
    byId: `${table.name}ById`,
    count: `${table.name}Count`,
    create: `create${type}`,
    createMany: `create${type}Many`,
    upsert: `upsert${type}`,
    updateById: `update${type}ById`,
    updateMany: `update${type}Many`,
    deleteById: `delete${type}ById`,
    deleteMany: `delete${type}Many`,
    change: `${type}Change`,
    changes: `${table.name}Changes`,
  }
}

/** GraphQL's Name rule, minus the three words an enum value cannot be. */
const ENUM_VALUE = /^[_A-Za-z][_0-9A-Za-z]*$/
const NOT_ENUM_VALUES = new Set(['true', 'false', 'null'])

/**
 * The GraphQL enum of an enum column (`TaskStatus`), or undefined when one of its values is not a
 * GraphQL name (`in-progress`): such a column is a String whose description lists the values.
 */
export function graphqlEnumOf(table: TableIR, column: ColumnIR): string | undefined {
  if (column.type !== 'enum') return undefined
  const values = column.values ?? []
  if (values.length === 0 || !values.every((v) => ENUM_VALUE.test(v) && !NOT_ENUM_VALUES.has(v))) return undefined
  return `${table.typeName}${column.name[0]!.toUpperCase()}${column.name.slice(1)}`
}

/** The named GraphQL type of a column's values (without `!`). */
export type GraphqlScalar = 'ID' | 'String' | 'Int' | 'Float' | 'Boolean' | 'DateTime' | 'Date' | 'JSON'

/** Each column type's GraphQL scalar (an enum column's is its enum when it has one: graphqlTypeOf). */
export const GRAPHQL_SCALAR: Readonly<Record<ColumnType, GraphqlScalar>> = {
  id: 'ID',
  ref: 'ID',
  text: 'String',
  enum: 'String',
  int: 'Int',
  real: 'Float',
  bool: 'Boolean',
  timestamp: 'DateTime',
  createdAt: 'DateTime',
  updatedAt: 'DateTime',
  date: 'Date',
  json: 'JSON',
}

/** The GraphQL type name of a column's values: its enum, or its scalar. */
export function graphqlTypeOf(table: TableIR, column: ColumnIR): string {
  return graphqlEnumOf(table, column) ?? GRAPHQL_SCALAR[column.type]
}

/**
 * The filter input of a column (`StringFilter`, `TaskStatusFilter`), or undefined: json columns
 * are not filtered in GraphQL (their text would be compared, which no caller means).
 */
export function graphqlFilterOf(table: TableIR, column: ColumnIR): string | undefined {
  if (column.type === 'json') return undefined
  return `${graphqlTypeOf(table, column)}Filter`
}

/** Whether a column can be ordered by (json cannot). */
export function graphqlOrderable(column: ColumnIR): boolean {
  return column.type !== 'json'
}

/** `orderBy` directions, as the SDL declares them, with the neutral query's direction and nulls. */
export const ORDER_DIRECTIONS = {
  ASC: { direction: 'asc' },
  DESC: { direction: 'desc' },
  ASC_NULLS_FIRST: { direction: 'asc', nulls: 'first' },
  ASC_NULLS_LAST: { direction: 'asc', nulls: 'last' },
  DESC_NULLS_FIRST: { direction: 'desc', nulls: 'first' },
  DESC_NULLS_LAST: { direction: 'desc', nulls: 'last' },
} as const satisfies Record<string, { direction: 'asc' | 'desc'; nulls?: 'first' | 'last' }>

/** `is` values: `IS NULL`, `IS TRUE`, `IS FALSE` (the last two on Boolean columns). */
export const IS_VALUES = { NULL: null, TRUE: true, FALSE: false } as const

/** Operators of each filter input, by the scalar (or enum) it filters. Keys are the neutral query's operators. */
export function filterOperatorsOf(scalar: GraphqlScalar | 'enum'): readonly ('eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'like' | 'ilike' | 'is')[] {
  switch (scalar) {
    case 'ID':
    case 'String':
      return ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'ilike', 'is']
    case 'Int':
    case 'Float':
    case 'DateTime':
    case 'Date':
      return ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is']
    case 'Boolean':
      return ['eq', 'neq', 'is']
    case 'enum':
      return ['eq', 'neq', 'in', 'is']
    case 'JSON':
      return []
  }
}

/** Type names the schema declares whatever the tables: built-in scalars, the custom ones, shared enums and filters, the root types. */
export const GRAPHQL_SHARED_TYPE_NAMES: readonly string[] = [
  'Query', 'Mutation', 'Subscription', 'ID', 'String', 'Int', 'Float', 'Boolean', 'DateTime', 'Date', 'JSON',
  'OrderDirection', 'IsValue', 'ConflictAction', ...(['ID', 'String', 'Int', 'Float', 'Boolean', 'DateTime', 'Date'] as const).map((s) => `${s}Filter`),
]

/**
 * Every GraphQL type name two sources claim: a table's generated name that another table (or the
 * schema itself) also declares. The compiler reports each (KL_DEF_TYPE_NAME), so the SDL never
 * declares a type twice.
 *
 * @example
 * graphqlNameClashes([tasks, taskStatuses]) // [{ name: 'TaskStatus', owners: ['tasks', 'task_statuses'] }]
 */
export function graphqlNameClashes(tables: readonly TableIR[]): { readonly name: string; readonly owners: readonly string[] }[] {
  const owners = new Map<string, string[]>(GRAPHQL_SHARED_TYPE_NAMES.map((name) => [name, ['the GraphQL schema']]))
  for (const table of tables) {
    const n = graphqlNamesOf(table)
    const enums = table.columns.flatMap((c) => {
      const name = graphqlEnumOf(table, c)
      return name === undefined ? [] : [name, `${name}Filter`]
    })
    for (const name of new Set([n.type, n.where, n.listWhere, n.orderBy, n.insert, n.patch, n.column, n.mutationResult, ...enums])) {
      owners.set(name, [...(owners.get(name) ?? []), table.name])
    }
  }
  return [...owners].filter(([, list]) => list.length > 1).map(([name, list]) => ({ name, owners: list }))
}
