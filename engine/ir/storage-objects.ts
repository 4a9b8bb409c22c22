import type { BucketIR, ColumnIR, ColumnType, PolicyExprIR, PolicyPredicateIR, ProjectIR, TableIR, TablePoliciesIR } from './project-ir.ts'

/** The system table whose rows are the stored objects' metadata (one row per object). */
export const OBJECTS_TABLE = '_koya_objects'

function column(name: string, type: ColumnType, options: Partial<Pick<ColumnIR, 'nullable' | 'readOnly' | 'default'>> = {}): ColumnIR {
  return {
    name,
    type,
    nullable: options.nullable ?? false,
    default: options.default ?? null,
    unique: false,
    min: null,
    max: null,
    values: null,
    references: null,
    readOnly: options.readOnly ?? false,
    jsonSchema: null,
    renamedFrom: null,
  }
}

/**
 * The objects table as the data layer and the policy compiler know it. Its columns are what a
 * bucket's access rules may name (dsl `StorageObject`) plus `sha256`; the storage module's system
 * migration creates the same table.
 */
export const OBJECTS_TABLE_IR: TableIR = {
  name: OBJECTS_TABLE,
  typeName: 'StorageObject',
  isUsers: false,
  columns: [
    column('id', 'id', { readOnly: true, default: { kind: 'uuidv7' } }),
    column('bucket', 'text'),
    column('name', 'text'),
    column('size', 'int'),
    column('contentType', 'text'),
    column('ownerId', 'text', { nullable: true }),
    column('sha256', 'text'),
    // Where the driver keeps the bytes (`<bucket>/<random>`), made before the upload streams.
    column('key', 'text'),
    column('metadata', 'json', { default: { kind: 'value', value: {} } }),
    column('createdAt', 'createdAt', { readOnly: true, default: { kind: 'now' } }),
  ],
  primaryKey: 'id',
  indexes: [],
  relations: [],
  search: null,
  renamedFrom: null,
}

const inBucket = (bucket: string): PolicyExprIR => ({
  kind: 'compare',
  operator: '=',
  left: { kind: 'column', scope: 0, path: [], column: 'bucket' },
  right: { kind: 'literal', value: bucket },
})

/** One predicate over every bucket's rule for an operation: `bucket = 'a' AND ruleA OR …`; null when no bucket has one. */
function combined(buckets: readonly BucketIR[], rule: (bucket: BucketIR) => PolicyPredicateIR | null, extra: readonly PolicyExprIR[] = []): PolicyPredicateIR | null {
  const parts = buckets.flatMap((bucket) => {
    const found = rule(bucket)
    return found === null ? [] : [{ bucket, found }]
  })
  if (parts.length === 0 && extra.length === 0) return null
  const exprs: PolicyExprIR[] = [...parts.map(({ bucket, found }): PolicyExprIR => ({ kind: 'and', exprs: [inBucket(bucket.name), found.expr] })), ...extra]
  const first = parts[0]?.found
  return {
    source: parts.map(({ bucket, found }) => `${bucket.name}: ${found.source}`).join('\n') || 'a row that references the object',
    at: first?.at ?? { file: 'koyalite.ts', line: 1, column: 1 },
    expr: exprs.length === 1 ? exprs[0]! : { kind: 'or', exprs },
  }
}

/**
 * Files on rows: for each `t.file`/`t.files` column of a table with a read policy, "a row of that
 * table the caller may read holds this object's id". A table without one adds nothing (only the
 * service key reads its rows, and it reads every object anyway).
 */
function referencingReads(tables: readonly TableIR[], policies: readonly TablePoliciesIR[]): PolicyExprIR[] {
  return tables.flatMap((table) => {
    const read = policies.find((p) => p.table === table.name)?.read
    if (read == null) return []
    return table.columns.flatMap((column): PolicyExprIR[] =>
      column.file === undefined ? [] : [{ kind: 'referencedBy', table: table.name, column: column.name, many: column.file.many, predicate: read.expr }],
    )
  })
}

/** Every file column of the app, with its table. */
export function fileColumnsOf(model: Pick<ProjectIR, 'tables'>): { readonly table: string; readonly column: string; readonly bucket: string; readonly many: boolean }[] {
  return model.tables.flatMap((table) => table.columns.flatMap((column) => (column.file === undefined ? [] : [{ table: table.name, column: column.name, bucket: column.file.bucket, many: column.file.many }])))
}

/**
 * The objects table's policies, from every bucket's access rules: deny by default (a bucket
 * without a rule for an operation admits no one but the service key). Metadata updates need the
 * delete rule on the object as it is and the create rule on the object as changed (decision 108).
 */
export function objectsPolicies(buckets: readonly BucketIR[], tables: readonly TableIR[] = [], policies: readonly TablePoliciesIR[] = []): TablePoliciesIR {
  const using = combined(buckets, (b) => (b.access.create !== null ? b.access.delete : null))
  const check = combined(buckets, (b) => (b.access.delete !== null ? b.access.create : null))
  return {
    table: OBJECTS_TABLE,
    read: combined(buckets, (b) => b.access.read, referencingReads(tables, policies)),
    create: combined(buckets, (b) => b.access.create),
    update: using !== null && check !== null ? { using, check } : null,
    delete: combined(buckets, (b) => b.access.delete),
  }
}

/**
 * The model the data layer serves: the app's, plus the objects table and its policies when the
 * app has buckets, so storage metadata is read and written through the one access decision point.
 * Without buckets the model is returned as it is.
 */
export function withStorageObjects(model: ProjectIR): ProjectIR {
  const buckets = model.buckets ?? []
  if (buckets.length === 0) return model
  const policies = objectsPolicies(buckets, model.tables, model.policies)
  const hasRule = policies.read !== null || policies.create !== null || policies.update !== null || policies.delete !== null
  return {
    ...model,
    tables: [...model.tables, OBJECTS_TABLE_IR],
    policies: hasRule ? [...model.policies, policies] : model.policies,
  }
}
