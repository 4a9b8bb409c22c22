/**
 * Type changes that keep the storage (text ↔ date ↔ timestamp are all TEXT): no SQL runs, but
 * the migration still records the new type in its snapshot, and a narrowing is refused.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { table, t } from '../../engine/dsl/index.ts'
import { dataOf, MigrationHarness, refusalsOf, shapeOf } from './helpers.ts'

const eventsWithText = table('events', { when: t.text() })
const eventsWithDate = table('events', { when: t.date() })

let h: MigrationHarness
afterEach(() => h.dispose())

describe('a type change with the same storage', () => {
  it('date → text widens: a migration with no statements records the new type, and undoes', () => {
    h = new MigrationHarness()
    h.migrate([eventsWithDate])
    h.insert('events', [{ id: 'e1', when: '2026-11-25' }])
    const before = { shape: shapeOf(h.db), data: dataOf(h.db) }

    const migration = h.migrate([eventsWithText])
    expect(migration.steps).toEqual(['retypeColumn'])
    expect(migration.upBody).toBe('') // no statements: only comments
    expect(migration.file.up).toContain('-- "events"."when" is now text (was date); stored alike, nothing to change.')
    expect(migration.snapshot.tables[0]!.columns.find((c) => c.name === 'when')!.type).toBe('text')
    expect({ shape: shapeOf(h.db), data: dataOf(h.db) }).toEqual(before)
    expect(h.plan([eventsWithText])).toBeUndefined() // recorded: the next generate sees no change

    expect(h.rollback()).toBe(migration.file.name)
    expect(dataOf(h.db)).toEqual(before.data)
  })

  it('text → date narrows: refused without --allow-data-loss, recorded with it', () => {
    h = new MigrationHarness()
    h.migrate([eventsWithText])
    const [refusal, ...rest] = refusalsOf(() => h.plan([eventsWithDate]))
    expect(rest).toEqual([])
    expect(refusal!.code).toBe('KL_MIG_DESTRUCTIVE')
    expect(refusal!.message).toContain('changes type from text to date')
    expect(refusal!.hint).toContain('--allow-data-loss')
    expect(h.migrate([eventsWithDate], { allowDataLoss: true }).steps).toEqual(['retypeColumn'])
  })
})
