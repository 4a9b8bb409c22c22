import type { BucketDef, BucketRule, ByteSize } from '../dsl/index.ts'
import type { BucketIR, PolicyPredicateIR, TableIR } from '../ir/project-ir.ts'
import { OBJECTS_TABLE, OBJECTS_TABLE_IR } from '../ir/storage-objects.ts'
import { buildPolicyExpr } from './policy/build-policy-expr.ts'
import { readPredicateSource } from './policy/read-policy-syntax.ts'
import type { Problems } from './problems.ts'

/** Bucket names are URL path segments: `/storage/<name>`. */
const BUCKET_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/
const DEFAULT_MAX_SIZE = 10 * 2 ** 20
const UNITS: Record<string, number> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 }
/** The largest thumbnail side the runtime makes (runtime/storage/thumbnail-query.ts DEFAULT_THUMBNAIL_LIMITS). */
const MAX_THUMBNAIL_SIDE = 2048

/** `'10MB'` → 10485760 (1 MB = 2^20 bytes); a number is bytes already. The shape was checked by zod. */
export function parseByteSize(size: ByteSize): number {
  if (typeof size === 'number') return size
  const match = /^(\d+)(B|KB|MB|GB)$/.exec(size)
  return match === null ? Number.NaN : Number(match[1]) * UNITS[match[2]!]!
}

/**
 * Build the buckets of `storage: { … }`, sorted by name. Each access rule is compiled by the
 * policy compiler as a predicate over the objects table (`_koya_objects`), read from the
 * function's own text (`toString()`, as for definitions built in memory): its problems are
 * located as `<storage.<bucket>.<operation>>:line:col` (decision 107).
 */
export function buildBuckets(storage: Readonly<Record<string, BucketDef>> | undefined, tables: readonly TableIR[], roles: readonly string[], problems: Problems): BucketIR[] | undefined {
  if (storage === undefined || Object.keys(storage).length === 0) return undefined
  const context = {
    tables: [...tables, OBJECTS_TABLE_IR],
    roles,
    report: (code: Parameters<Problems['add']>[0], message: string, at: Parameters<Problems['add']>[2], hint?: string) => problems.add(code, message, at, hint),
  }
  const rule = (name: string, operation: string, fn: BucketRule | undefined): PolicyPredicateIR | null => {
    if (fn === undefined) return null
    const file = `<storage.${name}.${operation}>`
    const { arrow, problems: found } = readPredicateSource(String(fn), file)
    for (const problem of found) problems.add(problem.code, problem.message, problem.at, problem.hint)
    if (arrow === null) return null
    const expr = buildPolicyExpr(arrow, OBJECTS_TABLE, context)
    return expr === undefined ? null : { source: arrow.source, at: arrow.at, expr }
  }
  return Object.entries(storage)
    .map(([name, def]): BucketIR => {
      if (!BUCKET_NAME_PATTERN.test(name)) {
        problems.add('KL_DEF_INVALID_NAME', `Bucket name "${name}" is not a lower-case URL segment.`, problems.atConfig(`storage.${name}`), 'Use lower-case letters, digits and dashes, starting with a letter (at most 63 characters): "attachments", "user-avatars".')
      }
      const quota = def.quota ?? {}
      const thumbnails = def.thumbnails === undefined ? undefined : [...new Set(def.thumbnails)].sort()
      for (const size of thumbnails ?? []) {
        const [width, height] = size.split('x').map(Number) as [number, number]
        if (width > MAX_THUMBNAIL_SIDE || height > MAX_THUMBNAIL_SIDE || (width === 0 && height === 0)) {
          problems.add('KL_DEF_INVALID', `Thumbnail size "${size}" of bucket "${name}" is out of bounds.`, problems.atConfig(`storage.${name}.thumbnails`), `Each side is 1 to ${MAX_THUMBNAIL_SIDE} pixels, or 0 to follow the image (not both): "200x200", "800x0".`)
        }
      }
      return {
        name,
        maxSizeBytes: def.maxSize === undefined ? DEFAULT_MAX_SIZE : parseByteSize(def.maxSize),
        types: [...new Set(def.types ?? [])].sort(),
        access: { read: rule(name, 'read', def.access?.read), create: rule(name, 'create', def.access?.create), delete: rule(name, 'delete', def.access?.delete) },
        quota: { perUserBytes: quota.perUser === undefined ? null : parseByteSize(quota.perUser), totalBytes: quota.total === undefined ? null : parseByteSize(quota.total) },
        ...(thumbnails === undefined ? {} : { thumbnails }),
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** Every `t.file`/`t.files` column names a declared bucket. */
export function checkFileColumns(tables: readonly TableIR[], buckets: readonly BucketIR[] | undefined, problems: Problems): void {
  const names = new Set((buckets ?? []).map((b) => b.name))
  for (const table of tables) {
    for (const column of table.columns) {
      if (column.file === undefined || names.has(column.file.bucket)) continue
      problems.add(
        'KL_DEF_INVALID',
        `Column "${column.name}" of table "${table.name}" holds files of bucket "${column.file.bucket}", which storage: { … } does not declare.`,
        problems.atColumn(table.name, column.name),
        names.size === 0 ? 'Declare it: storage: { ' + column.file.bucket + ': bucket({ … }) } in defineConfig.' : `Buckets: ${[...names].sort().join(', ')}.`,
      )
    }
  }
}
