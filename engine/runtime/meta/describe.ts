import { policySqlText, type PolicyParam } from '../../ir/policy-printer.ts'
import type { ColumnIR, IndexIR, PolicyPredicateIR, ProjectIR, RelationIR, SearchIR, TablePoliciesIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { readProject, type ProjectRecord } from './project-record.ts'

/** A policy as Studio and the docs show it: the TypeScript the user wrote, where, and its SQL. */
export interface PolicyDescription {
  readonly source: string
  readonly at: PolicyPredicateIR['at']
  readonly sql: string
  /** What each `?` of `sql` is bound to. */
  readonly params: readonly PolicyParam[]
}

export interface TableDescription {
  readonly name: string
  readonly typeName: string
  readonly isUsers: boolean
  readonly columns: readonly ColumnIR[]
  readonly relations: readonly RelationIR[]
  readonly indexes: readonly IndexIR[]
  readonly search: SearchIR | null
  /** null: no rule, so only the service key performs the operation (deny by default). */
  readonly policies: {
    readonly read: PolicyDescription | null
    readonly create: PolicyDescription | null
    readonly update: { readonly using: PolicyDescription; readonly check: PolicyDescription } | null
    readonly delete: PolicyDescription | null
    readonly strict: boolean
  }
}

/** What `GET /admin/meta` answers: the schema as the server runs it (PocketBase's `_collections`). */
export interface MetaDescription {
  readonly project: ProjectRecord | null
  readonly roles: readonly string[]
  readonly tables: readonly TableDescription[]
  /** The app's storage buckets (their objects are rows of `_koya_objects`, judged by each bucket's access rules). */
  readonly buckets: readonly string[]
  /** The app's migrations applied to this database, in order. */
  readonly migrations: readonly { readonly id: string; readonly name: string; readonly appliedAt: string }[]
  /** KoyaLite's own `_koya_*` tables' migrations applied to it. */
  readonly systemMigrations: readonly { readonly name: string; readonly appliedAt: string }[]
}

/**
 * The model (model.json) joined with what the database says of itself.
 *
 * @example
 * describeProject(model, db).tables.find((t) => t.name === 'tasks')?.policies.read?.sql
 */
export function describeProject(model: ProjectIR, db: SqliteDatabase): MetaDescription {
  const policiesOf = new Map(model.policies.map((p) => [p.table, p]))
  const describe = (table: string, predicate: PolicyPredicateIR | null): PolicyDescription | null => {
    if (predicate === null) return null
    const { sql, params } = policySqlText(predicate.expr, table, model.tables)
    return { source: predicate.source, at: predicate.at, sql, params }
  }
  const tables = model.tables.map((table): TableDescription => {
    const rules: TablePoliciesIR | undefined = policiesOf.get(table.name)
    return {
      name: table.name,
      typeName: table.typeName,
      isUsers: table.isUsers,
      columns: table.columns,
      relations: table.relations,
      indexes: table.indexes,
      search: table.search,
      policies: {
        read: describe(table.name, rules?.read ?? null),
        create: describe(table.name, rules?.create ?? null),
        update: rules?.update ? { using: describe(table.name, rules.update.using)!, check: describe(table.name, rules.update.check)! } : null,
        delete: describe(table.name, rules?.delete ?? null),
        strict: rules?.strict ?? false,
      },
    }
  })
  const has = (name: string) => db.prepare(`SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = ?`).all(name).length > 0
  return {
    project: readProject(db) ?? null,
    roles: model.roles,
    tables,
    buckets: (model.buckets ?? []).map((bucket) => bucket.name),
    migrations: has('_koya_migrations') ? (db.prepare('SELECT "id", "name", "appliedAt" FROM "_koya_migrations" ORDER BY "id"').all() as MetaDescription['migrations']) : [],
    systemMigrations: has('_koya_system_schema') ? (db.prepare('SELECT "name", "appliedAt" FROM "_koya_system_schema" ORDER BY "version"').all() as MetaDescription['systemMigrations']) : [],
  }
}
