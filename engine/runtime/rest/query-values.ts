/**
 * The lexical half of the PostgREST query grammar: a scanner over one parameter, names (plain or
 * double-quoted), filter expressions (`not.eq.x`, `in.(a,"b,c")`, `is.null`) and the
 * parenthesized `or=(…)` / `and=(…)` trees. query-grammar.ts dispatches parameters to these.
 *
 * The rules follow PostgREST's own parser (src/PostgREST/ApiRequest/QueryParams.hs): a top-level
 * filter value runs to the end of the parameter, verbatim; inside `in.(…)` lists and logic trees
 * a value ends at the next `,` or `)` unless it is double-quoted, and inside quotes a backslash
 * takes the next character literally. Where PostgREST silently ignores trailing text, this parser
 * refuses it instead.
 *
 * Internal to rest/: the public surface is parseQuery and the AST types in query-grammar.ts.
 */
import { KoyaError, type KoyaErrorCode } from '../../shared/errors.ts'
import { assertNever } from '../../shared/assert-never.ts'
import type { FilterNode, FilterOperator, FilterValue, QueryLimits } from './query-grammar.ts'

/** How an operator's operand is written. A Record, so a new operator does not compile until it has a shape. */
const OPERATOR_SHAPES: Record<FilterOperator, 'scalar' | 'list' | 'trilean'> = {
  eq: 'scalar',
  neq: 'scalar',
  gt: 'scalar',
  gte: 'scalar',
  lt: 'scalar',
  lte: 'scalar',
  like: 'scalar',
  ilike: 'scalar',
  in: 'list',
  is: 'trilean',
  fts: 'scalar',
  plfts: 'scalar',
  phfts: 'scalar',
  wfts: 'scalar',
}

/** The full-text operators, which PostgREST lets name a text search configuration: `fts(english).`. */
const TEXT_SEARCH_OPERATORS: ReadonlySet<string> = new Set(['fts', 'plfts', 'phfts', 'wfts'])

/** PostgREST operators that KoyaLite recognizes but does not serve: they answer KL_API_UNSUPPORTED_SYNTAX, not "unknown". */
const UNSERVED_OPERATORS = new Set(['cs', 'cd', 'ov', 'sl', 'sr', 'nxr', 'nxl', 'adj', 'match', 'imatch', 'isdistinct'])

const OPERATOR_LIST = Object.keys(OPERATOR_SHAPES).join(', ')

export const FILTER_HINT =
  `Write column=operator.value with one of ${OPERATOR_LIST}, optionally preceded by not. (e.g. status=eq.todo, status=not.in.(done,archived), body=is.null); ` +
  'double-quote a list or or=(…) value that contains , ( or ).'

const UNSUPPORTED_HINT =
  `KoyaLite serves the operators ${OPERATOR_LIST}, or=(…)/and=(…) trees, and embeds with aliases, hints and !inner; ` +
  'use /search/<table> for full-text search.'

/** A parameter value as it appears in messages: quoted, and cut short so a 4 KB value is not echoed back whole. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text)
}

function isFilterOperator(name: string): name is FilterOperator {
  return Object.hasOwn(OPERATOR_SHAPES, name)
}

/** PostgREST's identifier characters: letters, digits, `_`, `$` and space (a name is trimmed). */
const NAME_CHAR = /^[\p{L}0-9_$ ]$/u

/**
 * A cursor over one parameter (its name or its value). Every failure is a KoyaError that names
 * the parameter, quotes its text and gives the 1-based character where reading stopped.
 */
export class Scanner {
  pos = 0
  readonly text: string
  /** What is being read, for messages: `the "or" parameter`, `the "status" filter`. */
  private readonly label: string
  /** The code and hint of a syntax error here, unless a failure names its own. */
  private readonly code: KoyaErrorCode
  private readonly hint: string

  // Plain fields, not parameter properties: the runtime also loads under Node's type stripping.
  constructor(text: string, label: string, code: KoyaErrorCode, hint: string) {
    this.text = text
    this.label = label
    this.code = code
    this.hint = hint
  }

  get atEnd(): boolean {
    return this.pos >= this.text.length
  }

  /** The character at pos (+offset), or '' past the end. */
  peek(offset = 0): string {
    return this.text.charAt(this.pos + offset)
  }

  startsWith(prefix: string): boolean {
    return this.text.startsWith(prefix, this.pos)
  }

  eat(prefix: string): boolean {
    if (!this.startsWith(prefix)) return false
    this.pos += prefix.length
    return true
  }

  expect(prefix: string, problem: string): void {
    if (!this.eat(prefix)) this.fail(problem)
  }

  /** PostgREST's `lexeme` whitespace: spaces and tabs. */
  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++
  }

  /** Everything from pos to the end. */
  rest(): string {
    const rest = this.text.slice(this.pos)
    this.pos = this.text.length
    return rest
  }

  /** Reads up to (not including) the first of `stops`, or to the end. */
  until(stops: string): string {
    const start = this.pos
    while (!this.atEnd && !stops.includes(this.peek())) this.pos++
    return this.text.slice(start, this.pos)
  }

  /** A run of ASCII letters (operator names, asc/desc, null/true/false). */
  word(): string {
    const start = this.pos
    while (isAsciiLetter(this.peek())) this.pos++
    return this.text.slice(start, this.pos)
  }

  /** The next character, or a description of the end, for "unexpected …" messages. */
  describeNext(): string {
    return this.atEnd ? 'the end of the text' : quote(this.peek())
  }

  fail(problem: string, options: { code?: KoyaErrorCode; hint?: string } = {}): never {
    throw new KoyaError(options.code ?? this.code, `Cannot read ${this.label} ${quote(this.text)}: ${problem} (at character ${this.pos + 1}).`, {
      hint: options.hint ?? this.hint,
      details: { position: this.pos + 1 },
    })
  }

  unsupported(problem: string, hint = UNSUPPORTED_HINT): never {
    return this.fail(problem, { code: 'KL_API_UNSUPPORTED_SYNTAX', hint })
  }

  /** JSON paths (`data->key`, `data->>key`) reach into json columns, which KoyaLite does not filter, select or order by. */
  refuseJsonPath(): void {
    if (this.startsWith('->')) this.unsupported('JSON paths (-> and ->>) are not supported')
  }
}

function isAsciiLetter(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
}

/**
 * A double-quoted string with backslash escapes (PostgREST's pQuotedValue), unquoted; or
 * undefined, with pos unchanged, when the text at pos is not a complete quoted string.
 */
function tryReadQuoted(s: Scanner): string | undefined {
  if (s.peek() !== '"') return undefined
  const start = s.pos
  s.pos++
  let out = ''
  while (!s.atEnd) {
    const ch = s.peek()
    s.pos++
    if (ch === '"') return out
    if (ch === '\\') {
      if (s.atEnd) break
      out += s.peek()
      s.pos++
    } else {
      out += ch
    }
  }
  s.pos = start
  return undefined
}

/**
 * A column, relation, alias or hint name (PostgREST's pFieldName): a double-quoted string, or a
 * run of letters, digits, `_`, `$`, spaces and dashes (a dash not starting `->`), trimmed.
 * Names are never empty; whether they exist is checked later, against the model.
 */
export function readName(s: Scanner, what: string): string {
  s.skipSpaces()
  if (s.peek() === '"') {
    const quoted = tryReadQuoted(s)
    if (quoted === undefined) s.fail(`the quoted ${what} is not closed with "`)
    if (quoted === '') s.fail(`the quoted ${what} is empty`)
    // No name or alias has control characters; SQLite would refuse one in a string literal.
    if (/\p{Cc}/u.test(quoted)) s.fail(`the quoted ${what} has a control character`)
    return quoted
  }
  const start = s.pos
  while (!s.atEnd) {
    const ch = String.fromCodePoint(s.text.codePointAt(s.pos)!)
    if (!NAME_CHAR.test(ch) && !(ch === '-' && s.peek(1) !== '>')) break
    s.pos += ch.length
  }
  const name = s.text.slice(start, s.pos).trim()
  if (name === '') s.fail(`expected ${what}, found ${s.describeNext()}`)
  return name
}

/** Where a value is read: a top-level filter value runs to the end; inside or=(…) it stops at `,` or `)`. */
export type ValueContext = 'param' | 'logic'

export interface OpExpr {
  operator: FilterOperator
  value: FilterValue
  negated: boolean
}

/** `[not.]operator.operand` (PostgREST's pOpExpr). In 'param' context the caller checks that nothing follows. */
export function readOpExpr(s: Scanner, context: ValueContext, limits: QueryLimits): OpExpr {
  const negated = s.eat('not.')
  const start = s.pos
  const name = s.word()
  // The configuration (a PostgreSQL text search language) has no SQLite meaning: the table's
  // tokenizer decides (docs/search.md). It is read so postgrest-js's `{ config }` is accepted.
  if (TEXT_SEARCH_OPERATORS.has(name) && s.peek() === '(') {
    s.pos++
    s.until(')')
    s.expect(')', `expected ")" after the text search configuration of "${name}"`)
  }
  const next = s.peek()
  if (isFilterOperator(name) && next === '.') {
    s.pos++
    return { operator: name, value: readOperand(s, name, context, limits), negated }
  }
  if (isFilterOperator(name) && (s.startsWith('(any)') || s.startsWith('(all)'))) s.unsupported(`the any/all quantifier "${name}${s.text.slice(s.pos, s.pos + 5)}" is not supported`)
  if (UNSERVED_OPERATORS.has(name) && (next === '.' || next === '(')) s.unsupported(`the operator "${name}" is not supported`)
  if (isFilterOperator(name)) s.fail(`expected "." after the operator "${name}", found ${s.describeNext()}`)
  s.pos = start
  const shown = s.until('.,()')
  s.pos = start
  if (shown === '') s.fail(negated ? 'expected an operator after "not."' : 'expected an operator such as eq.')
  return s.fail(shown === 'not' ? '"not." may appear only once, before the operator' : `unknown operator ${quote(shown)}`)
}

function readOperand(s: Scanner, operator: FilterOperator, context: ValueContext, limits: QueryLimits): FilterValue {
  const shape = OPERATOR_SHAPES[operator]
  switch (shape) {
    case 'scalar':
      return { kind: 'text', value: context === 'param' ? s.rest() : readLogicValue(s) }
    case 'list':
      return { kind: 'list', values: readList(s, limits) }
    case 'trilean':
      return readTrilean(s)
    default:
      return assertNever(shape, 'operator shape')
  }
}

/** `is.` takes null, true or false, in any case; PostgREST's `unknown` is the boolean null. */
function readTrilean(s: Scanner): FilterValue {
  const start = s.pos
  const word = s.word().toLowerCase()
  if (word === 'null' || word === 'unknown') return { kind: 'null' }
  if (word === 'true') return { kind: 'true' }
  if (word === 'false') return { kind: 'false' }
  s.pos = start
  const found = quote(s.until(',)'))
  s.pos = start
  return s.fail(`"is." takes null, true or false, not ${found}`, { hint: 'Write column=is.null, column=is.true or column=is.false; compare other values with eq.' })
}

/**
 * `(a,b,"c,d")` (PostgREST's pListVal). `in.()` is the empty list, which matches no row, as
 * postgrest-js sends for `.in('id', [])`. Unquoted items are kept as written, spaces included.
 */
function readList(s: Scanner, limits: QueryLimits): string[] {
  s.skipSpaces()
  s.expect('(', '"in." takes a list in parentheses, e.g. in.(a,b)')
  s.skipSpaces()
  const values: string[] = []
  if (!s.eat(')')) {
    do {
      values.push(readListItem(s))
      if (values.length > limits.maxInListLength) {
        s.fail(`the list has more than ${limits.maxInListLength} items`, {
          code: 'KL_API_LIMIT_EXCEEDED',
          hint: `Send at most ${limits.maxInListLength} values per in.(…) list, or split the request.`,
        })
      }
    } while (s.eat(','))
    s.expect(')', 'the list is not closed with ")"')
  }
  s.skipSpaces()
  return values
}

/** A quoted item counts as quoted only when `,` `)` or the end follows it; otherwise it is raw text, as in PostgREST. */
function readListItem(s: Scanner): string {
  const start = s.pos
  const quoted = tryReadQuoted(s)
  if (quoted !== undefined && (s.atEnd || s.peek() === ',' || s.peek() === ')')) return quoted
  s.pos = start
  return s.until(',)')
}

/** A value inside or=(…): quoted, a `{…}` array literal kept whole, or raw up to `,` or `)` (PostgREST's pLogicSingleVal). */
function readLogicValue(s: Scanner): string {
  const start = s.pos
  const quoted = tryReadQuoted(s)
  if (quoted !== undefined && (s.atEnd || s.peek() === ',' || s.peek() === ')')) return quoted
  s.pos = start
  if (s.peek() === '{') {
    s.pos++
    s.until('{}')
    if (s.eat('}')) return s.text.slice(start, s.pos)
    s.pos = start
  }
  return s.until(',)')
}

export const LOGIC_HINT =
  'Write or=(column.operator.value,…) or and=(…); nest with and(…), or(…), not.and(…), not.or(…); negate one condition with column.not.eq.value; ' +
  'double-quote a value that contains , ( or ).'

/** Counts filter nodes across one request: it bounds both the work and the nesting of or=(and(or(…))). */
export interface FilterBudget {
  readonly limits: QueryLimits
  used: number
}

export function spendFilter(s: Scanner, budget: FilterBudget): void {
  budget.used++
  if (budget.used > budget.limits.maxFilters) {
    s.fail(`the request has more than ${budget.limits.maxFilters} filter conditions`, {
      code: 'KL_API_LIMIT_EXCEEDED',
      hint: `Use at most ${budget.limits.maxFilters} conditions (each column filter, or/and group and condition inside one counts); combine equality tests into in.(…).`,
    })
  }
}

/**
 * The parenthesized body of an `or`/`and` parameter or nested group, from `(` to `)`.
 * Every compare node's path is absolute: `project.or=(name.eq.x)` gives ['project', 'name'].
 */
export function readLogicGroup(s: Scanner, operator: 'and' | 'or', negated: boolean, path: string[], budget: FilterBudget): FilterNode {
  spendFilter(s, budget)
  s.skipSpaces()
  s.expect('(', `expected "(" after "${operator}"`)
  const filters: FilterNode[] = []
  do {
    s.skipSpaces()
    filters.push(readLogicItem(s, path, budget))
    s.skipSpaces()
  } while (s.eat(','))
  s.expect(')', `expected "," or ")", found ${s.describeNext()}`)
  return { kind: operator, filters, negated, path }
}

/** One item of a group: a nested `[not.]and(…)`/`[not.]or(…)`, or `column.[not.]operator.value`. */
function readLogicItem(s: Scanner, path: string[], budget: FilterBudget): FilterNode {
  const start = s.pos
  const negated = s.eat('not.')
  const afterNot = s.pos
  for (const operator of ['and', 'or'] as const) {
    if (!s.eat(operator)) continue
    s.skipSpaces()
    if (s.peek() === '(') return readLogicGroup(s, operator, negated, path, budget)
    s.pos = afterNot
  }
  // Not a group: `not`, `and` and `or` are read as column names, as PostgREST does.
  s.pos = start
  spendFilter(s, budget)
  const column = readName(s, 'a column name or a nested and(…)/or(…)')
  s.refuseJsonPath()
  s.skipSpaces()
  s.expect('.', `expected "." and an operator after the column "${column}", found ${s.describeNext()}`)
  const expr = readOpExpr(s, 'logic', budget.limits)
  return { kind: 'compare', path: [...path, column], ...expr }
}
