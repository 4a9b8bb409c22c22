/**
 * The FTS5 index through migrations and writes: created with the rows already there, kept in
 * step by its triggers (bulk inserts, upserts, updates, deletes, a table rebuild), dropped by
 * the down migration, and always equal to what a `rebuild` from the table gives.
 */
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { table, t } from '../../../engine/dsl/index.ts'
import { searchIndexName } from '../../../engine/ir/search-index.ts'
import { createDataLayer } from '../../../engine/runtime/data/data-layer.ts'
import { parseSearchQuery } from '../../../engine/runtime/search/query-language.ts'
import { compileTables, MigrationHarness } from '../../migrate/helpers.ts'

const SYSTEM = { kind: 'system' } as const
const notes = (search?: object, extra: Record<string, ReturnType<typeof t.text>> = {}) =>
  table('notes', { id: t.id(), title: t.text(), body: t.text().optional(), ...extra }, search ? { search } : {})

let harness: MigrationHarness
afterEach(() => harness?.dispose())

/** Row ids FTS5 finds for a query, by the triggers' index and by a fresh rebuild of it. */
function matchesNowAndAfterRebuild(q: string, column = 'id'): { now: string[]; rebuilt: string[] } {
  const fts = `"${searchIndexName('notes')}"`
  const find = () =>
    harness.db
      .prepare(`SELECT n."${column}" FROM ${fts} JOIN "notes" n ON n.rowid = ${fts}.rowid WHERE ${fts} MATCH ? ORDER BY n."${column}"`)
      .pluck()
      .all(q) as string[]
  const now = find()
  // 'integrity-check' compares the index with the content table: it throws on any drift.
  harness.db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`).run()
  harness.db.prepare(`INSERT INTO ${fts} (${fts}) VALUES ('rebuild')`).run()
  return { now, rebuilt: find() }
}

describe('the search index in migrations', () => {
  it('adding search.text indexes the existing rows; the down migration drops index and triggers', () => {
    harness = new MigrationHarness()
    harness.migrate([notes()])
    harness.insert('notes', [{ id: 'n1', title: 'Rocket launch', body: 'fuel' }, { id: 'n2', title: 'Garden', body: 'water the rockets' }])
    const added = harness.migrate([notes({ text: ['title', 'body'] })])
    expect(added.steps).toEqual(['createSearchIndex'])
    expect(added.upBody).toContain(`USING fts5("title", "body", content='notes', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')`)
    expect(matchesNowAndAfterRebuild('"rocket" *')).toEqual({ now: ['n1', 'n2'], rebuilt: ['n1', 'n2'] })
    expect(added.downBody).toContain('DROP TABLE IF EXISTS "_koya_fts_notes";')
    harness.rollback()
    const left = harness.db.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE '%fts%'`).pluck().all()
    expect(left).toEqual([])
    expect(harness.rows('SELECT id FROM notes ORDER BY id')).toEqual([{ id: 'n1' }, { id: 'n2' }])
    expect(harness.apply()).toEqual([added.file.name])
    expect(matchesNowAndAfterRebuild('"garden"').now).toEqual(['n2'])
  })

  it('a tokenizer change recreates the index; a rebuilt table gets its index and triggers back', () => {
    harness = new MigrationHarness()
    harness.migrate([notes({ text: ['title'] })])
    harness.insert('notes', [{ id: 'n1', title: 'running late', body: null }, { id: 'n2', title: 'ran', body: null }])
    expect(matchesNowAndAfterRebuild('"run"').now).toEqual([])
    const porter = harness.migrate([notes({ text: ['title'], tokenizer: 'porter' })])
    expect(porter.steps).toEqual(['dropSearchIndex', 'createSearchIndex'])
    expect(matchesNowAndAfterRebuild('"run"').now).toEqual(['n1'])
    // A column that ALTER cannot add (required, with a non-constant default) rebuilds the table: new rowids.
    const rebuilt = harness.migrate([table('notes', { id: t.id(), title: t.text(), body: t.text().optional(), at: t.createdAt() }, { search: { text: ['title'], tokenizer: 'porter' } })])
    expect(rebuilt.steps).toEqual(['dropSearchIndex', 'rebuildTable', 'createSearchIndex'])
    harness.insert('notes', [{ id: 'n3', title: 'runs', body: null }])
    expect(matchesNowAndAfterRebuild('"run"')).toEqual({ now: ['n1', 'n3'], rebuilt: ['n1', 'n3'] })
    harness.rollback()
    expect(matchesNowAndAfterRebuild('"run"')).toEqual({ now: ['n1', 'n3'], rebuilt: ['n1', 'n3'] })
  })

  it('renaming an indexed column and dropping search go through drop and create', () => {
    harness = new MigrationHarness()
    harness.migrate([notes({ text: ['title', 'body'] })])
    harness.insert('notes', [{ id: 'n1', title: 'alpha', body: 'beta' }])
    const renamed = harness.migrate([table('notes', { id: t.id(), heading: t.text().renamedFrom('title'), body: t.text().optional() }, { search: { text: ['heading', 'body'] } })])
    expect(renamed.steps).toEqual(['dropSearchIndex', 'renameColumn', 'createSearchIndex'])
    expect(matchesNowAndAfterRebuild('"alpha"').now).toEqual(['n1'])
    const dropped = harness.migrate([table('notes', { id: t.id(), heading: t.text(), body: t.text().optional() })])
    expect(dropped.steps).toEqual(['dropSearchIndex'])
    harness.rollback()
    expect(matchesNowAndAfterRebuild('"beta"').now).toEqual(['n1'])
  })
})

describe('the search index under writes through the data layer', () => {
  it('bulk inserts, upserts, updates and deletes leave the index equal to a rebuild', () => {
    harness = new MigrationHarness()
    const tables = [table('notes', { id: t.id(), key: t.text().unique(), title: t.text(), body: t.text().optional() }, { search: { text: ['title', 'body'] } })]
    harness.migrate(tables)
    const data = createDataLayer(compileTables(tables), harness.db)
    const rows = Array.from({ length: 300 }, (_, i) => ({ key: `n${String(i).padStart(3, '0')}`, title: `note ${i % 7 === 0 ? 'seven' : 'plain'}`, body: i % 2 === 0 ? 'even body' : null }))
    data.insert(SYSTEM, { table: 'notes', rows })
    data.insert(SYSTEM, { table: 'notes', rows: [{ key: 'n000', title: 'merged upsert', body: 'changed' }, { key: 'x1', title: 'fresh upsert', body: null }], onConflict: { columns: ['key'], resolution: 'merge' } })
    data.update(SYSTEM, { table: 'notes', target: { where: { kind: 'match', query: parseSearchQuery('seven') } }, patch: { body: 'was seven' } })
    data.delete(SYSTEM, { table: 'notes', target: { where: { kind: 'match', query: parseSearchQuery('even -seven') } } })
    const check = (q: string) => {
      const { now, rebuilt } = matchesNowAndAfterRebuild(q, 'key')
      expect(now).toEqual(rebuilt)
      return now
    }
    expect(check('"upsert"')).toEqual(['n000', 'x1'])
    // 'even -seven' deleted the even rows whose title is plain (128); the sevens' bodies changed.
    expect(check('"even"')).toEqual([])
    expect(check('"seven"')).toHaveLength(42)
    expect(check('"was"')).toHaveLength(42)
    expect(check('"plain"')).toHaveLength(129)
    expect((harness.db.prepare('SELECT count(*) FROM notes').pluck().get() as number)).toBe(301 - 128)
    const list = data.list(SYSTEM, { table: 'notes', select: [{ kind: 'column', column: 'id' }], search: { query: parseSearchQuery('seven'), rank: true }, limit: 5 }, { as: 'objects', count: true })
    expect(list.total).toBe(42)
    expect(list.rows).toHaveLength(5)
  })
})

describe('the search index in a snapshot', () => {
  it('VACUUM INTO (what backups use) keeps rowids, so the copy\'s index still matches its rows', () => {
    harness = new MigrationHarness()
    harness.migrate([notes({ text: ['title'] })])
    harness.insert('notes', Array.from({ length: 50 }, (_, i) => ({ id: `n${String(i).padStart(2, '0')}`, title: i % 2 === 0 ? 'kept even' : 'odd' })))
    harness.db.exec(`DELETE FROM notes WHERE title = 'odd'`) // rowid gaps, which a renumbering copy would close
    const copy = path.join(harness.dir, 'copy.sqlite')
    harness.db.prepare('VACUUM INTO ?').run(copy)
    const db = openDatabase(copy)
    try {
      const fts = `"${searchIndexName('notes')}"`
      db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`).run()
      const found = db.prepare(`SELECT n.id FROM ${fts} JOIN notes n ON n.rowid = ${fts}.rowid WHERE ${fts} MATCH '"even"' ORDER BY n.id`).pluck().all()
      expect(found).toHaveLength(25)
      expect(found[1]).toBe('n02')
    } finally {
      db.close()
    }
  })
})
