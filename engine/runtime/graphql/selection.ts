import type { FieldNode, FragmentDefinitionNode, GraphQLObjectType, GraphQLSchema, SelectionSetNode } from 'graphql'
import { GraphQLIncludeDirective, GraphQLSkipDirective, getArgumentValues, getDirectiveValues } from './graphql-js.ts'
import type { TableIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SelectItem } from '../data/query.ts'
import { orderOf, pageOf, whereOf } from './arguments.ts'

/**
 * A GraphQL selection set as one neutral select tree: every column a field, every relation an
 * embed with its own filter, order and page, keyed by the response key (alias or name). The data
 * layer turns the tree into one SQL statement, and the object types' fields read their value by
 * response key (see resolvers.ts), so aliases of one relation with different arguments stay apart.
 */
export interface SelectionContext {
  readonly schema: GraphQLSchema
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>
  readonly variables: Readonly<Record<string, unknown>>
  readonly tableOf: (name: string) => TableIR
  readonly pages: { readonly maxLimit: number; readonly defaultLimit: number }
}

/** The fields under `nodes` (one response key may be asked several times: merged), by response key. */
export function collectFields(context: SelectionContext, sets: readonly (SelectionSetNode | undefined)[]): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>()
  const visit = (set: SelectionSetNode | undefined, seen: ReadonlySet<string>) => {
    if (set === undefined) return
    for (const selection of set.selections) {
      if (!included(context, selection)) continue
      switch (selection.kind) {
        case 'Field': {
          const key = selection.alias?.value ?? selection.name.value
          const list = fields.get(key)
          if (list) list.push(selection)
          else fields.set(key, [selection])
          break
        }
        case 'InlineFragment':
          // No interfaces or unions: a fragment's type is the field's own.
          visit(selection.selectionSet, seen)
          break
        case 'FragmentSpread': {
          const name = selection.name.value
          if (seen.has(name)) break
          visit(context.fragments[name]?.selectionSet, new Set([...seen, name]))
          break
        }
      }
    }
  }
  for (const set of sets) visit(set, new Set())
  return fields
}

function included(context: SelectionContext, node: Parameters<typeof getDirectiveValues>[1]): boolean {
  if (node.directives === undefined || node.directives.length === 0) return true
  if (getDirectiveValues(GraphQLSkipDirective, node, context.variables)?.if === true) return false
  return getDirectiveValues(GraphQLIncludeDirective, node, context.variables)?.if !== false
}

/**
 * The select of `table`'s rows for the fields `nodes` ask (the nodes of one field, merged).
 *
 * @example
 * // tasks { id title project { name } comments(limit: 3) { body } }
 * selectOf(context, tasks, nodes) // [{ kind: 'column', column: 'id', as: 'id' }, …, { kind: 'embed', relation: 'comments', as: 'comments', limit: 3, … }]
 */
export function selectOf(context: SelectionContext, table: TableIR, nodes: readonly FieldNode[]): SelectItem[] {
  const type = context.schema.getType(table.typeName) as GraphQLObjectType
  const select: SelectItem[] = []
  for (const [key, fieldNodes] of collectFields(context, nodes.map((n) => n.selectionSet))) {
    const node = fieldNodes[0]!
    const name = node.name.value
    if (name.startsWith('__')) continue
    const relation = table.relations.find((r) => r.name === name)
    if (relation === undefined) {
      select.push({ kind: 'column', column: name, as: key })
      continue
    }
    const related = context.tableOf(relation.table)
    const items = selectOf(context, related, fieldNodes)
    if (relation.kind === 'belongsTo') {
      select.push({ kind: 'embed', relation: name, as: key, select: items })
      continue
    }
    const field = type.getFields()[name]!
    const args = getArgumentValues(field, node, context.variables)
    const where = whereOf(related, context.tableOf, args.where as Record<string, unknown> | undefined)
    const orderBy = orderOf(args.orderBy as Record<string, unknown>[] | undefined)
    select.push({ kind: 'embed', relation: name, as: key, select: items, ...(where ? { where } : {}), ...(orderBy ? { orderBy } : {}), ...pageOf(args, context.pages) })
  }
  // A selection of only __typename still reads a row (whether it exists is the answer).
  return select.length > 0 ? select : [{ kind: 'column', column: 'id', as: '__id' }]
}

/** The select of a mutation result's `rows` field, or undefined when the rows are not asked for. */
export function rowsSelectOf(context: SelectionContext, table: TableIR, nodes: readonly FieldNode[]): SelectItem[] | undefined {
  const rows = [...collectFields(context, nodes.map((n) => n.selectionSet))].filter(([, list]) => list[0]!.name.value === 'rows')
  if (rows.length === 0) return undefined
  if (rows.length > 1) {
    throw new KoyaError('KL_API_GRAPHQL_INVALID', 'A mutation result asks for `rows` under more than one alias.', { hint: 'Ask for rows once; the written rows are read back once.' })
  }
  return selectOf(context, table, rows[0]![1])
}
