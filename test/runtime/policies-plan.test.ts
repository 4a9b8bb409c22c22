import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { urlDataLayer as createDataLayer, type UrlDataLayer as DataLayer } from '../helpers/url-data-layer.ts'
import { parseQuery } from '../../engine/runtime/rest/query-grammar.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { actors, policyTestModel, SEED_SQL } from '../helpers/policy-fixture.ts'
import { policyDb } from '../helpers/policy-schema.ts'

/**
 * Where the caller's filters go relative to the read policy, read from SQLite's query plans: a
 * filter that cannot fail (a comparison with a bound value) stays a plain term, so an index on
 * its column serves the query; one that may fail (a pattern) waits behind the policy in a CASE.
 */

let db: SqliteDatabase
let data: DataLayer
const prepared: string[] = []

beforeEach(() => {
  const model = policyTestModel()
  db = policyDb(model)
  db.exec(SEED_SQL)
  // Record each statement the data layer prepares, to read its plan.
  const prepare = db.prepare.bind(db)
  db.prepare = ((text: string) => {
    prepared.push(text)
    return prepare(text)
  }) as typeof db.prepare
  data = createDataLayer(model, db)
})
afterEach(() => {
  prepared.length = 0
  db.close()
})

/** The query plan of the statement a signed-in list prepares. */
function planOfList(query: string): string {
  data.list(actors.ada, 'tasks', parseQuery(new URLSearchParams(query)), { count: false })
  const text = prepared.at(-1)!
  const parameters = text.split('?').length - 1
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...Array(parameters).fill(null)) as { detail: string }[]
  return rows.map((row) => row.detail).join('\n')
}

describe('policies: filters and indexes', () => {
  it('an eq filter on an indexed column searches the index, beside the policy', () => {
    const text = planOfList('projectId=eq.p1&select=id')
    expect(text).toMatch(/SEARCH row USING INDEX \S*projectId/)
    expect(prepared.at(-1)).not.toMatch(/CASE WHEN[^]*"projectId" = \?[^]*ELSE 0 END/)
  })

  it('a like filter runs only inside the policy\'s CASE', () => {
    planOfList('title=like.*plan*&select=id')
    expect(prepared.at(-1)).toMatch(/CASE WHEN [^]* THEN "row"\."title" GLOB \? ELSE 0 END/)
  })

  it('both kinds together: the comparison outside, the pattern inside', () => {
    planOfList('projectId=eq.p1&title=like.*plan*&select=id')
    const text = prepared.at(-1)!
    expect(text).toMatch(/"row"\."projectId" = \? AND CASE WHEN/)
    expect(text).toMatch(/THEN "row"\."title" GLOB \? ELSE 0 END/)
  })
})
