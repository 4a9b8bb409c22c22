import type { TableIR } from '../../compiler/ir.ts'
import { banner } from '../../shared/generated-file.ts'
import type { Generator } from '../generator.ts'
import { insertSchema, rowSchema, updateSchema } from '../json-schema/column-schemas.ts'

/**
 * generated/api/<table>.ts: one route module per table, with the JSON Schemas its requests are
 * validated with (compiled once when the server registers the routes), and generated/api/index.ts
 * listing them. The runtime serves `/api/<table>` only for tables listed there.
 */
export const apiGenerator: Generator = {
  name: 'api',
  generate: ({ ir, source }) => [
    ...ir.tables.map((table) => ({ path: `generated/api/${table.name}.ts`, contents: printRouteModule(table, source) })),
    { path: 'generated/api/index.ts', contents: printIndex(ir.tables.map((t) => t.name), source) },
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

function printIndex(tables: readonly string[], source: string): string {
  const binding = (name: string) => `${name}Api`
  return [
    banner(source).trimEnd(),
    ...tables.map((name) => `import ${binding(name)} from './${name}'`),
    '',
    '/** Every table served under /api. */',
    `export default [${tables.map(binding).join(', ')}]`,
    '',
  ].join('\n')
}
