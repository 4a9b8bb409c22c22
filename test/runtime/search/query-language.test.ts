import fc from 'fast-check'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { printFts5 } from '../../../engine/runtime/data/text-query.ts'
import { parseSearchQuery } from '../../../engine/runtime/search/query-language.ts'
import { isKoyaError } from '../../../engine/shared/errors.ts'

// One FTS5 table per tokenizer, with a few rows, as the migrations create them.
const db = new Database(':memory:')
const TOKENIZERS = { u: 'unicode61 remove_diacritics 2', p: 'porter unicode61 remove_diacritics 2', t: 'trigram' }
db.exec('CREATE TABLE docs (id TEXT PRIMARY KEY, a TEXT, b TEXT) STRICT')
db.prepare('INSERT INTO docs VALUES (?, ?, ?)').run('d1', 'Rocket launch AND more', 'fuel "valves" (NOT) OR *stars*')
db.prepare('INSERT INTO docs VALUES (?, ?, ?)').run('d2', 'Café crème', 'naïve -minus NEAR(x y)')
for (const [name, tokenize] of Object.entries(TOKENIZERS)) {
  db.exec(`CREATE VIRTUAL TABLE fts_${name} USING fts5(a, b, content='docs', content_rowid='rowid', tokenize='${tokenize}')`)
  db.exec(`INSERT INTO fts_${name} (fts_${name}) VALUES ('rebuild')`)
}
afterAll(() => db.close())

const run = (expression: string) => {
  for (const name of Object.keys(TOKENIZERS)) {
    db.prepare(`SELECT rowid, bm25(fts_${name}), snippet(fts_${name}, 0, '<', '>', '…', 8) FROM fts_${name} WHERE fts_${name} MATCH ?`).all(expression)
  }
}
const find = (q: string) => db.prepare(`SELECT d.id FROM fts_u JOIN docs d ON d.rowid = fts_u.rowid WHERE fts_u MATCH ? ORDER BY d.id`).pluck().all(printFts5(parseSearchQuery(q)))

/** Outside its quoted strings, a printed expression holds only operators, parentheses and `*`. */
function syntaxOf(expression: string): string {
  return expression.replace(/"(?:[^"]|"")*"/gu, 'S')
}

// The characters FTS5's own syntax uses, and their neighbours, weighted in.
const noisy = fc.string({ unit: fc.constantFrom('a', 'b', 'é', ' ', '"', '(', ')', '*', '-', '+', '^', ':', '{', '}', 'AND', 'OR', 'NOT', 'NEAR', ',', '\\', "'", '\u0000', '本', '\t'), maxLength: 40 })

describe('the search query language', () => {
  it('random text never reaches FTS5 unparsed and never makes SQLite throw', () => {
    fc.assert(
      fc.property(fc.oneof(noisy, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 })), (input) => {
        let expression: string
        try {
          expression = printFts5(parseSearchQuery(input))
        } catch (error) {
          // A refusal is a coded KoyaError, never anything else.
          expect(isKoyaError(error) && error.code.startsWith('KL_SEARCH_')).toBe(true)
          return
        }
        expect(syntaxOf(expression)).toMatch(/^(?:S(?: \*)?|[()]| AND | OR | NOT )+$/u)
        run(expression)
      }),
      { numRuns: 3000 },
    )
  })

  it('means what the docs say', () => {
    expect(find('rocket')).toEqual(['d1'])
    expect(find('"launch rocket"')).toEqual([])
    expect(find('"rocket launch"')).toEqual(['d1'])
    expect(find('roc*')).toEqual(['d1'])
    expect(find('rocket OR creme')).toEqual(['d1', 'd2'])
    expect(find('fuel -rocket')).toEqual([])
    expect(find('(rocket OR cafe) NOT naive')).toEqual(['d1'])
    expect(find('and')).toEqual(['d1']) // a lower-case operator is a word
    expect(find('NEAR')).toEqual(['d2']) // FTS5's NEAR is a word here
    expect(find('rocket & fuel')).toEqual(['d1']) // a term without letters is ignored
  })

  it('refuses malformed queries with a code and the position', () => {
    const refusal = (q: string) => {
      try {
        parseSearchQuery(q)
      } catch (error) {
        if (isKoyaError(error)) return `${error.code} ${error.message}`
      }
      return 'accepted'
    }
    expect(refusal('rocket "launch')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 8: this quote is never closed.')
    expect(refusal('(a OR b')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 1: this "(" is never closed.')
    expect(refusal('a OR b)')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 7: this ")" has no "(" before it.')
    expect(refusal('OR a')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 1: OR needs a term before it.')
    expect(refusal('a AND')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 3: AND needs a term after it.')
    expect(refusal('a NOT')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 3: NOT needs a term after it.')
    expect(refusal('a ()')).toBe('KL_SEARCH_SYNTAX The search query is malformed at character 3: these parentheses are empty.')
    expect(refusal('-a -b')).toMatch(/^KL_SEARCH_EMPTY .*character 1/)
    expect(refusal('  & ')).toMatch(/^KL_SEARCH_EMPTY/)
    expect(refusal('x'.repeat(1001))).toMatch(/^KL_SEARCH_TOO_LONG/)
    expect(refusal(Array.from({ length: 65 }, (_, i) => `w${i}`).join(' '))).toMatch(/^KL_SEARCH_TOO_LONG/)
    expect(refusal('('.repeat(40) + 'a' + ')'.repeat(40))).toMatch(/^KL_SEARCH_TOO_LONG/)
  })
})
