import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ColumnIR, ProjectIR, TableIR } from '../../engine/ir/project-ir.ts'
import { fixturesDir, repoRoot } from '../helpers/paths.ts'

/** A project whose generated/ the golden test keeps current: the reference app and every fixture. */
export interface GeneratedProject {
  readonly name: string
  readonly root: string
  readonly ir: ProjectIR
  /** A file of its generated/ directory, as committed. */
  readonly read: (file: string) => string
}

/** The reference app and every fixture, with the IR read back from their generated/model.json. */
export function generatedProjects(): GeneratedProject[] {
  const roots = [
    { name: 'the reference app', root: repoRoot },
    ...readdirSync(fixturesDir)
      .sort()
      .map((name) => ({ name: `fixture ${name}`, root: path.join(fixturesDir, name) })),
  ]
  return roots.map(({ name, root }) => {
    const read = (file: string) => readFileSync(path.join(root, 'generated', file), 'utf8')
    return { name, root, read, ir: JSON.parse(read('model.json')) as ProjectIR }
  })
}

export function tableOf(project: GeneratedProject, name: string): TableIR {
  const table = project.ir.tables.find((t) => t.name === name)
  if (table === undefined) throw new Error(`${project.name} has no table ${name}`)
  return table
}

/** A column as the compiler would build it, with the given overrides: for hand-made tables. */
export function column(name: string, type: ColumnIR['type'], overrides: Partial<ColumnIR> = {}): ColumnIR {
  return {
    name,
    type,
    nullable: false,
    default: null,
    unique: false,
    min: null,
    max: null,
    values: null,
    references: null,
    readOnly: false,
    jsonSchema: null,
    renamedFrom: null,
    ...overrides,
  }
}

/** A table with an id primary key and the given columns. */
export function table(name: string, typeName: string, columns: readonly ColumnIR[]): TableIR {
  return {
    name,
    typeName,
    isUsers: false,
    columns: [column('id', 'id', { default: { kind: 'uuidv7' }, readOnly: true }), ...columns],
    primaryKey: 'id',
    indexes: [],
    relations: [],
    search: null,
    renamedFrom: null,
  }
}

/** A project of the given tables. */
export function project(name: string, tables: readonly TableIR[]): ProjectIR {
  return {
    version: 1,
    name,
    tables,
    policies: [],
    roles: ['admin'],
    auth: {
      email: { enabled: true, verify: false },
      oauth: { github: null, google: null },
      session: { idleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 604800 },
      publicUrl: null,
      trustedOrigins: [],
      redirects: [],
    },
  }
}
