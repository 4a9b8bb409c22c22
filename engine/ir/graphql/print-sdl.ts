import type { ColumnIR, ProjectIR, RelationIR, TableIR } from '../project-ir.ts'
import {
  GRAPHQL_SCALAR,
  IS_VALUES,
  ORDER_DIRECTIONS,
  filterOperatorsOf,
  graphqlEnumOf,
  graphqlFilterOf,
  graphqlNamesOf,
  graphqlOrderable,
  graphqlTypeOf,
  type GraphqlScalar,
} from './graphql-names.ts'

/**
 * The GraphQL schema of an app, as SDL: a pure function of the IR. `koyalite generate` writes it
 * to generated/graphql/schema.graphql, and the runtime builds its executable schema from the same
 * text at boot, so what is served is what is committed.
 *
 * Deterministic: tables in the IR's (name) order, columns in declaration order, relations in the
 * IR's order, shared types in a fixed order.
 *
 * @example
 * const sdl = printGraphqlSdl(ir)   // 'type Query {\n  tasks(where: TaskWhere, …'
 */
export function printGraphqlSdl(ir: ProjectIR): string {
  const tables = new Map(ir.tables.map((t) => [t.name, t]))
  const blocks: string[] = [printQuery(ir), printMutation(ir), ...(ir.tables.length > 0 ? [printSubscription(ir)] : []), ...SHARED_TYPES]
  const filters = new Set<string>()
  for (const table of ir.tables) {
    for (const column of table.columns) {
      const enumName = graphqlEnumOf(table, column)
      if (enumName !== undefined) blocks.push(printEnum(enumName, `The values of \`${table.name}.${column.name}\`.`, column.values ?? []))
      const filter = graphqlFilterOf(table, column)
      if (filter !== undefined && !filters.has(filter)) {
        filters.add(filter)
        blocks.push(printFilter(filter, enumName ?? GRAPHQL_SCALAR[column.type], enumName === undefined ? GRAPHQL_SCALAR[column.type] : 'enum'))
      }
    }
    blocks.push(printObjectType(table, tables), ...printInputs(table, tables), printMutationResult(table), printChangeType(table), printColumnEnum(table))
  }
  return blocks.join('\n\n') + '\n'
}

const description = (text: string, indent = ''): string => `${indent}"""\n${indent}${text.replaceAll('"""', '\\"""')}\n${indent}"""\n`
const line = (text: string): string => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"\n  `

const SHARED_TYPES: readonly string[] = [
  `${description('An instant, ISO 8601 in UTC with milliseconds (`2026-12-24T09:30:00.000Z`). Inputs take any ISO 8601 instant with a time zone (`Z` or an offset); it is stored in UTC.')}scalar DateTime`,
  `${description('A calendar date, `YYYY-MM-DD`.')}scalar Date`,
  `${description('Any JSON value (object, array, string, number, boolean or null): the contents of a json column.')}scalar JSON`,
  printEnum('OrderDirection', 'A sort direction. Without NULLS_FIRST/NULLS_LAST, nulls sort as if larger: last ascending, first descending.', Object.keys(ORDER_DIRECTIONS)),
  printEnum('IsValue', '`is` tests: NULL on any column, TRUE and FALSE on Boolean columns.', Object.keys(IS_VALUES)),
  printEnum('ConflictAction', 'What an upsert does with a row that meets an existing one on its conflict columns.', ['MERGE', 'IGNORE']),
  printEnum(
    'ChangeEvent',
    'What a subscription event says: INITIAL (the rows that match now), CREATE, UPDATE, DELETE, ENTER (a row moved into what the caller may read), LEAVE (moved out: its id only), RESYNC (missed events cannot be replayed: start over).',
    ['INITIAL', 'CREATE', 'UPDATE', 'DELETE', 'ENTER', 'LEAVE', 'RESYNC'],
  ),
  printEnum('ChangeOperation', 'The writes a subscription asks for (ENTER and LEAVE always come).', ['CREATE', 'UPDATE', 'DELETE']),
]

function printEnum(name: string, text: string, values: readonly string[]): string {
  return `${description(text)}enum ${name} {\n${values.map((v) => `  ${v}`).join('\n')}\n}`
}

function printFilter(name: string, valueType: string, scalar: GraphqlScalar | 'enum'): string {
  const fields = filterOperatorsOf(scalar).map((op) => {
    switch (op) {
      case 'in':
        return `  in: [${valueType}!]`
      case 'like':
      case 'ilike':
        return `  ${line(op === 'like' ? 'Case-sensitive pattern: % any run, _ one character.' : 'ASCII-case-insensitive pattern: % any run, _ one character.')}${op}: String`
      case 'is':
        return `  is: IsValue`
      default:
        return `  ${op}: ${valueType}`
    }
  })
  return `${description(`Tests on a ${valueType} column; several tests all hold. A comparison with a null column is false: test nulls with \`is: NULL\`.`)}input ${name} {\n${fields.join('\n')}\n}`
}

/** `where`, `orderBy`, `limit`, `offset` of a list of `table`'s rows. */
function listArguments(table: TableIR): string {
  const n = graphqlNamesOf(table)
  return `where: ${n.where}, orderBy: [${n.orderBy}!], limit: Int, offset: Int`
}

function printQuery(ir: ProjectIR): string {
  const fields = ir.tables.flatMap((table) => {
    const n = graphqlNamesOf(table)
    return [
      `  ${line(`Rows of \`${table.name}\` the caller may read.`)}${n.list}(${listArguments(table)}): [${n.type}!]!`,
      `  ${line(`One row of \`${table.name}\` by id; null when missing or not readable.`)}${n.byId}(id: ID!): ${n.type}`,
      `  ${line(`How many rows of \`${table.name}\` the caller may read match \`where\`.`)}${n.count}(where: ${n.where}): Int!`,
    ]
  })
  return `${description('Reads. Every field answers what the REST API answers the same caller: the same policies, the same rows.')}type Query {\n${fields.join('\n')}\n}`
}

function printMutation(ir: ProjectIR): string {
  const fields = ir.tables.flatMap((table) => {
    const n = graphqlNamesOf(table)
    return [
      `  ${line(`Insert one row into \`${table.name}\`; answers it as the caller may read it.`)}${n.create}(data: ${n.insert}!): ${n.type}`,
      `  ${line(`Insert rows into \`${table.name}\` in one transaction.`)}${n.createMany}(data: [${n.insert}!]!): ${n.mutationResult}!`,
      `  ${line(`Insert a row, or on a conflict on \`onConflict\` (default: id) merge into the existing one or leave it.`)}${n.upsert}(data: ${n.insert}!, onConflict: [${n.column}!], action: ConflictAction = MERGE): ${n.type}`,
      `  ${line('Change one row by id; null when no row the caller may change has that id.')}${n.updateById}(id: ID!, patch: ${n.patch}!): ${n.type}`,
      `  ${line('Change the rows `where` matches among those the caller may change.')}${n.updateMany}(where: ${n.where}!, patch: ${n.patch}!): ${n.mutationResult}!`,
      `  ${line('Delete one row by id; answers it as it was, or null when no row the caller may delete has that id.')}${n.deleteById}(id: ID!): ${n.type}`,
      `  ${line('Delete the rows `where` matches among those the caller may delete.')}${n.deleteMany}(where: ${n.where}!): ${n.mutationResult}!`,
    ]
  })
  return `${description('Writes, through the same policies as the REST API. Rows written come back only as far as the read policy lets the caller read them.')}type Mutation {\n${fields.join('\n')}\n}`
}

function printSubscription(ir: ProjectIR): string {
  const fields = ir.tables.map((table) => {
    const n = graphqlNamesOf(table)
    return `  ${line(`Changes to the rows of \`${table.name}\` the caller may read, in commit order; \`initial\` first sends the rows that match, \`after\` resumes after an event's seq.`)}${n.changes}(where: ${n.where}, events: [ChangeOperation!], initial: Boolean = false, after: ID): ${n.change}!`
  })
  return `${description('Row changes as they commit, over a WebSocket (graphql-ws), judged by the read policies exactly as /realtime subscriptions are (docs/realtime.md).')}type Subscription {\n${fields.join('\n')}\n}`
}

function printChangeType(table: TableIR): string {
  const n = graphqlNamesOf(table)
  const fields = [
    `  ${line('What happened.')}event: ChangeEvent!`,
    `  ${line('The change log id, increasing in commit order: give the last one as `after` to resume.')}seq: ID!`,
    `  ${line('The changed row\'s id; null for INITIAL and RESYNC.')}rowId: ID`,
    `  ${line('The row as the caller may read it now; for DELETE as it was; null for LEAVE.')}row: ${n.type}`,
    `  ${line('INITIAL, and RESYNC with initial: the rows that match now.')}rows: [${n.type}!]`,
  ]
  return `${description(`A change to a row of \`${table.name}\`, as a subscriber sees it.`)}type ${n.change} {\n${fields.join('\n')}\n}`
}

function columnComment(table: TableIR, column: ColumnIR): string {
  const enumValues = column.type === 'enum' && graphqlEnumOf(table, column) === undefined ? ` One of: ${(column.values ?? []).join(', ')}.` : ''
  const ref = column.references ? ` References \`${column.references.table}.id\`.` : ''
  return `${column.type}${column.readOnly ? ', set by the system' : ''}.${ref}${enumValues}`
}

function relationField(relation: RelationIR, tables: ReadonlyMap<string, TableIR>): string {
  const related = tables.get(relation.table)!
  const n = graphqlNamesOf(related)
  if (relation.kind === 'belongsTo') {
    return `  ${line(`The \`${relation.table}\` row \`${relation.column}\` points at; null when there is none or the caller may not read it.`)}${relation.name}: ${n.type}`
  }
  return `  ${line(`The \`${relation.table}\` rows whose \`${relation.column}\` points here, that the caller may read.`)}${relation.name}(${listArguments(related)}): [${n.type}!]!`
}

function printObjectType(table: TableIR, tables: ReadonlyMap<string, TableIR>): string {
  const columns = table.columns.map((c) => `  ${line(columnComment(table, c))}${c.name}: ${graphqlTypeOf(table, c)}${c.nullable ? '' : '!'}`)
  const relations = table.relations.map((r) => relationField(r, tables))
  return `${description(`A row of \`${table.name}\`.`)}type ${table.typeName} {\n${[...columns, ...relations].join('\n')}\n}`
}

function printInputs(table: TableIR, tables: ReadonlyMap<string, TableIR>): string[] {
  const n = graphqlNamesOf(table)
  const whereFields = [
    `  and: [${n.where}!]`,
    `  or: [${n.where}!]`,
    `  not: ${n.where}`,
    ...table.columns.flatMap((c) => {
      const filter = graphqlFilterOf(table, c)
      return filter === undefined ? [] : [`  ${c.name}: ${filter}`]
    }),
    ...table.relations.map((r) => {
      const related = graphqlNamesOf(tables.get(r.table)!)
      return r.kind === 'belongsTo'
        ? `  ${line(`The row has a readable \`${r.name}\` that matches.`)}${r.name}: ${related.where}`
        : `  ${r.name}: ${related.listWhere}`
    }),
  ]
  const writable = table.columns.filter((c) => !c.readOnly)
  const insertFields = writable.map((c) => `  ${c.name}: ${graphqlTypeOf(table, c)}${c.nullable || c.default !== null ? '' : '!'}`)
  const patchFields = writable.map((c) => `  ${c.name}: ${graphqlTypeOf(table, c)}`)
  const orderFields = table.columns.filter(graphqlOrderable).map((c) => `  ${c.name}: OrderDirection`)
  return [
    `${description(`A filter on \`${table.name}\`: every field given holds (and, or, not combine filters).`)}input ${n.where} {\n${whereFields.join('\n')}\n}`,
    `${description(`Tests over the readable \`${table.name}\` rows of a has-many relation.`)}input ${n.listWhere} {\n  some: ${n.where}\n  every: ${n.where}\n  none: ${n.where}\n}`,
    `${description('One sort term: give exactly one column.')}input ${n.orderBy} {\n${orderFields.join('\n')}\n}`,
    `${description(`A new row of \`${table.name}\`. Fields with a default may be left out.`)}input ${n.insert} {\n${insertFields.length > 0 ? insertFields.join('\n') : '  _: Boolean'}\n}`,
    `${description(`Changes to a row of \`${table.name}\`: only the fields given change; null clears an optional column.`)}input ${n.patch} {\n${patchFields.length > 0 ? patchFields.join('\n') : '  _: Boolean'}\n}`,
  ]
}

function printMutationResult(table: TableIR): string {
  const n = graphqlNamesOf(table)
  return `${description(`What a write of many \`${table.name}\` rows did.`)}type ${n.mutationResult} {\n  ${line('Rows written.')}affected: Int!\n  ${line('The written rows the caller may read (deleted rows as they were).')}rows: [${n.type}!]!\n}`
}

function printColumnEnum(table: TableIR): string {
  return printEnum(graphqlNamesOf(table).column, `The columns of \`${table.name}\`.`, table.columns.map((c) => c.name))
}
