import type { ColumnIR, ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { tsTypeOfSchema } from '../../ir/routes/json-schema-type.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { banner } from '../../shared/generated-file.ts'
import { pascalCase } from '../../shared/naming.ts'
import type { Generator } from '../generator.ts'
import { valueType } from '../ts-types.ts'

/**
 * generated/types.ts: for each table the API shapes (`Task`, `TaskInsert`, `TaskUpdate`) and the
 * storage shape Kysely queries with (`TasksTable` in the `DB` interface).
 */
export const typesGenerator: Generator = {
  name: 'types',
  generate: ({ ir, source }) => {
    const parts = [
      banner(source).trimEnd(),
      "import type { ColumnType, Generated } from 'koyalite/runtime'",
      '',
      '/** Any JSON value: what a json column without a schema holds. */',
      'export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }',
      '',
    ]
    for (const table of ir.tables) parts.push(printTableTypes(table))
    parts.push('/** The database as Kysely sees it: table name → storage shape. */', 'export interface DB {')
    for (const table of ir.tables) parts.push(`  ${table.name}: ${storageName(table)}`)
    parts.push('}', '')
    return [
      { path: 'generated/types.ts', contents: parts.join('\n') },
      // Types ctx.db in jobs. A declaration file that nothing imports: the editor and `tsc` read it
      // through the tsconfig's generated/*.ts, generate's own type check does not (handler-context.ts).
      {
        path: 'generated/register.d.ts',
        contents: [
          banner(source).trimEnd(),
          `import type { DB${(ir.jobs ?? []).length > 0 ? ', JsonValue' : ''} } from './types.ts'`,
          '',
          '/** Types `ctx.db` in jobs with the app\'s tables, `ctx.enqueue` with its jobs (`Register` in the koyalite package). */',
          "declare module 'koyalite' {",
          '  interface Register {',
          '    readonly db: DB',
          ...emailTemplatesRegistration(ir),
          ...jobsRegistration(ir),
          '  }',
          '}',
          '',
        ].join('\n'),
      },
    ]
  },
}

function storageName(table: TableIR): string {
  return `${pascalCase(table.name)}Table`
}

function printTableTypes(table: TableIR): string {
  const writable = table.columns.filter((c) => !c.readOnly)
  const optionalOnInsert = (c: ColumnIR) => c.nullable || c.default !== null
  const lines = [
    `/** A row of \`${table.name}\`. */`,
    `export interface ${table.typeName} {`,
    ...table.columns.map((c) => `  ${c.name}: ${valueType(c)}${c.nullable ? ' | null' : ''}`),
    '}',
    '',
    `/** What creating a row of \`${table.name}\` takes; the system sets ${table.columns.filter((c) => c.readOnly).map((c) => c.name).join(', ')}. */`,
    `export interface ${table.typeName}Insert {`,
    ...writable.map((c) => `  ${c.name}${optionalOnInsert(c) ? '?' : ''}: ${valueType(c)}${c.nullable ? ' | null' : ''}`),
    '}',
    '',
    `/** What updating a row of \`${table.name}\` takes. */`,
    `export interface ${table.typeName}Update {`,
    ...writable.map((c) => `  ${c.name}?: ${valueType(c)}${c.nullable ? ' | null' : ''}`),
    '}',
    '',
    `/** How \`${table.name}\` is stored (booleans as 0/1, JSON as text). */`,
    `export interface ${storageName(table)} {`,
    ...table.columns.map((c) => `  ${c.name}: ${storageType(c)}`),
    '}',
    '',
  ]
  return lines.join('\n')
}


function storageType(column: ColumnIR): string {
  const stored = column.type === 'bool' ? 'number' : column.type === 'json' ? 'string' : valueType(column)
  const value = column.nullable ? `${stored} | null` : stored
  if (column.type === 'id' || column.type === 'createdAt') return `ColumnType<${value}, ${value} | undefined, never>`
  if (column.default !== null) return `Generated<${value}>`
  if (column.nullable) return `ColumnType<${value}, ${value} | undefined, ${value}>`
  return value
}

/** The app's email templates (email.templates) for `ctx.email.send({ template, props })`, each typed by its component's default export. */
/** Each job and the payload `ctx.enqueue` takes for it: its zod schema's type, else any JSON value (optional). */
function jobsRegistration(ir: ProjectIR): string[] {
  const jobs = ir.jobs ?? []
  if (jobs.length === 0) return []
  return ['    readonly jobs: {', ...jobs.map((job) => `      readonly ${JSON.stringify(job.name)}: ${job.payload === undefined ? 'JsonValue | undefined' : tsTypeOfSchema(job.payload)}`), '    }']
}

function emailTemplatesRegistration(ir: ProjectIR): string[] {
  const templates = ir.email?.templates ?? []
  if (templates.length === 0) return []
  return ['    readonly emailTemplates: {', ...templates.map((t) => `      readonly ${JSON.stringify(t.name)}: typeof import(${JSON.stringify(`../${t.file}`)}).default`), '    }']
}
