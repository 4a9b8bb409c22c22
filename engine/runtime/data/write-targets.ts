import { sql } from 'kysely'
import { KoyaError } from '../../shared/errors.ts'
import { ID_SLOT, type PolicyRole } from './access.ts'
import type { Actor } from './data-layer.ts'
import type { IndexedTable } from './model-index.ts'
import type { WriteTarget } from './query.ts'
import { planRead } from './read-plan.ts'
import { sourceOf, type DataContext } from './reads.ts'
import { printIdsQuery } from './read-sql.ts'

/**
 * Whether the row `id` exists and passes every listed policy (the system role passes
 * everything). @throws as `access.source` when the table lacks one of them.
 */
export function admits(ctx: DataContext, actor: Actor, roles: readonly PolicyRole[], table: IndexedTable, id: string): boolean {
  const key = `admits\0${actor.kind}\0${table.name}\0${roles.join(',')}`
  const build = () => sql<{ id: string }>`SELECT "id" FROM ${ctx.access.source(actor, roles, table.name, undefined)} AS "t" WHERE "id" = ${ID_SLOT}`
  return ctx.runner.runCached(actor, key, build, [id]).length > 0
}

/**
 * The existing rows a write touches, found inside its transaction: rows the caller may read
 * and that pass the operation's policy, the caller's filters evaluated on those alone. A row
 * the caller cannot read is a missing row (404 by id, not counted by filter), whatever the
 * operation's own rule says, so no answer (count, 406, "refused N of M") tells about it: the
 * rule PostgreSQL applies to UPDATE and DELETE whose WHERE reads columns (issue 10).
 */
export function targetIds(ctx: DataContext, actor: Actor, operation: 'update' | 'delete', table: IndexedTable, target: WriteTarget): string[] {
  const { access } = ctx
  if ('id' in target) {
    if (actor.kind === 'system') return admits(ctx, actor, [], table, target.id) ? [target.id] : []
    const { predicate: allowed } = access.policy(actor, operation, table.name) // no rule for the operation: 401/403 before anything else
    if (!access.has('read', table.name)) return []
    // One query answers both questions: is the row readable (else it is missing), and does the
    // operation's policy admit it (else 403).
    // Compiled once per table and operation, as reads are; the id is a slot.
    const build = () => sql<{ allowed: number }>`SELECT COALESCE(${allowed}, 0) AS "allowed" FROM ${access.source(actor, ['read'], table.name, undefined)} AS "row" WHERE "row"."id" = ${ID_SLOT}`
    const [found] = ctx.runner.runCached(actor, `target\0${operation}\0${table.name}`, build, [target.id])
    if (found === undefined) return []
    if (found.allowed) return [target.id]
    throw access.denied(operation, table.name, `does not allow you to ${operation} that row`)
  }
  if (actor.kind !== 'system') access.policy(actor, operation, table.name)
  const plan = planRead(ctx.index, table, { where: target.where })
  const roles: readonly PolicyRole[] = ['read', operation]
  // Relation filters (`some`, `parent`) read related tables through their read policy alone.
  const ids = printIdsQuery(plan, sourceOf(access, actor, 'read'), (name, filter) => access.source(actor, roles, name, filter))
  const found = ctx.runner.run(actor, ids).map((r) => r.id)
  // The ids are bound as parameters of the write (SQLite takes at most 32,766): a filter that
  // matches more is refused, whole, before anything is written.
  if (found.length > MAX_ROWS_PER_WRITE) {
    throw new KoyaError('KL_API_LIMIT_EXCEEDED', `The filter matches ${found.length} rows; one ${operation === 'update' ? 'PATCH' : 'DELETE'} changes at most ${MAX_ROWS_PER_WRITE}.`, {
      hint: 'Narrow the filter (a range of ids or createdAt) and repeat until nothing matches.',
    })
  }
  return found
}

/** The most rows one write by filter may change. */
export const MAX_ROWS_PER_WRITE = 10_000
