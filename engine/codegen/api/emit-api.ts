import type { TableIR } from '../../ir/project-ir.ts'
import { banner } from '../../shared/generated-file.ts'
import type { Generator } from '../generator.ts'
import { insertSchema, rowSchema, updateSchema } from '../json-schema/column-schemas.ts'

/**
 * generated/api/<table>.ts: one route module per table, with the JSON Schemas its requests are
 * validated with (compiled once when the server registers the routes). Plain JavaScript in a .ts
 * file: Node loads it without a TypeScript loader.
 */
export const apiGenerator: Generator = {
  name: 'api',
  generate: ({ ir, source }) => [
    ...ir.tables.map((table) => ({ path: `generated/api/${table.name}.ts`, contents: printRouteModule(table, source) })),
  ],
}

function printRouteModule(table: TableIR, source: string): string {
  const schemas = { row: rowSchema(table), insert: insertSchema(table), update: updateSchema(table) }
  return [
    banner(source).trimEnd(),
    "import { defineTableApi } from 'koyalite/runtime'",
    '',
    `/** \`/api/${table.name}\` and \`/api/${table.name}/:id\`: the JSON Schemas of a ${table.typeName}, its inserts and its updates. */`,
    'export default defineTableApi({',
    `  table: ${JSON.stringify(table.name)},`,
    `  schemas: ${JSON.stringify(schemas, null, 2).replaceAll('\n', '\n  ')},`,
    '})',
    '',
  ].join('\n')
}
