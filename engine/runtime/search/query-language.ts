import { KoyaError } from '../../shared/errors.ts'
import type { TextQuery } from '../data/text-query.ts'

/**
 * The search language users type, parsed into a TextQuery (which the data layer prints as FTS5
 * with every term quoted, so no input reaches FTS5 as syntax):
 *
 * - `word`: rows containing it (words side by side must all appear: AND is implied)
 * - `"a phrase"`: the words in that order; `report*`, `"quarterly rep"*`: a prefix
 * - `a OR b`, `a AND b`, `NOT a` / `-a` (exclude), `( … )` to group; operators are upper case
 *   (a lower-case `or` is a word)
 *
 * A word or phrase with no letter or digit (`&`, `--`) is ignored, as PostgreSQL's
 * websearch_to_tsquery does; a malformed query is a KL_SEARCH_SYNTAX error naming the position
 * (1-based, in characters of the query).
 *
 * @example
 * parseSearchQuery('report* "q3 review" -draft')
 * // → { kind: 'not', include: { kind: 'and', items: [report*, "q3 review"] }, exclude: draft }
 * @throws KoyaError KL_SEARCH_SYNTAX, KL_SEARCH_EMPTY or KL_SEARCH_TOO_LONG.
 */
export function parseSearchQuery(input: string): TextQuery {
  if (input.length > SEARCH_LIMITS.characters) {
    throw new KoyaError('KL_SEARCH_TOO_LONG', `The search query has ${input.length} characters; at most ${SEARCH_LIMITS.characters} are accepted.`)
  }
  const parser = new Parser(lex(input))
  const query = parser.parse()
  if (parser.terms > SEARCH_LIMITS.terms) {
    throw new KoyaError('KL_SEARCH_TOO_LONG', `The search query has ${parser.terms} terms; at most ${SEARCH_LIMITS.terms} are accepted.`)
  }
  if (query === undefined) throw new KoyaError('KL_SEARCH_EMPTY', 'The search query has no word to look for.')
  return query
}

/** What a query may hold: bounds on the work one request can ask of FTS5. */
export const SEARCH_LIMITS = { characters: 1000, terms: 64, depth: 32 } as const

type Token =
  | { readonly kind: 'terms'; readonly text: string; readonly prefix: boolean; readonly negated: boolean; readonly at: number }
  | { readonly kind: 'open'; readonly negated: boolean; readonly at: number }
  | { readonly kind: 'close' | 'AND' | 'OR' | 'NOT' | 'end'; readonly at: number }

const SPACE = /\s/u
const WORD_END = /[\s()"]/u
/** A term is kept only if the tokenizer can find something in it. */
const HAS_WORD = /[\p{L}\p{N}]/u

function syntax(message: string, at: number): KoyaError {
  return new KoyaError('KL_SEARCH_SYNTAX', `The search query is malformed at character ${at + 1}: ${message}.`, { details: { position: at + 1 } })
}

function lex(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const char = input[i]!
    if (SPACE.test(char)) {
      i++
      continue
    }
    const start = i
    // `-` right before a word, phrase or group excludes it; alone it is an ignored word.
    const negated = char === '-' && i + 1 < input.length && !SPACE.test(input[i + 1]!) && input[i + 1] !== ')'
    if (negated) i++
    const next = input[i]!
    if (next === '(') {
      tokens.push({ kind: 'open', negated, at: start })
      i++
    } else if (next === ')') {
      tokens.push({ kind: 'close', at: start })
      i++
    } else if (next === '"') {
      const close = input.indexOf('"', i + 1)
      if (close < 0) throw syntax('this quote is never closed', i)
      const text = input.slice(i + 1, close)
      i = close + 1
      let prefix = false
      while (input[i] === '*') {
        prefix = true
        i++
      }
      tokens.push({ kind: 'terms', text, prefix, negated, at: start })
    } else {
      let end = i
      while (end < input.length && !WORD_END.test(input[end]!)) end++
      const word = input.slice(i, end)
      i = end
      if (!negated && (word === 'AND' || word === 'OR' || word === 'NOT')) tokens.push({ kind: word, at: start })
      else {
        const text = word.replace(/\*+$/u, '')
        tokens.push({ kind: 'terms', text, prefix: text.length < word.length, negated, at: start })
      }
    }
  }
  tokens.push({ kind: 'end', at: input.length })
  return tokens
}

/** One item of an AND: a query (undefined when it had no word) and whether it is excluded. */
interface Item {
  readonly query: TextQuery | undefined
  readonly negated: boolean
  readonly at: number
}

class Parser {
  private position = 0
  private depth = 0
  terms = 0
  private readonly tokens: readonly Token[]

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens
  }

  parse(): TextQuery | undefined {
    const query = this.or()
    const token = this.peek()
    if (token.kind === 'close') throw syntax('this ")" has no "(" before it', token.at)
    return query
  }

  private peek(): Token {
    return this.tokens[this.position]!
  }

  private take(): Token {
    return this.tokens[this.position++]!
  }

  private or(): TextQuery | undefined {
    const branches: (TextQuery | undefined)[] = [this.and()]
    while (this.peek().kind === 'OR') {
      const or = this.take()
      if (this.endsGroup()) throw syntax('OR needs a term after it', or.at)
      branches.push(this.and())
    }
    const kept = branches.filter((b) => b !== undefined)
    return kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : { kind: 'or', items: kept }
  }

  private endsGroup(): boolean {
    const kind = this.peek().kind
    return kind === 'end' || kind === 'close' || kind === 'OR' || kind === 'AND'
  }

  private and(): TextQuery | undefined {
    const first = this.peek()
    if (first.kind === 'OR' || first.kind === 'AND') throw syntax(`${first.kind} needs a term before it`, first.at)
    if (first.kind === 'end' || first.kind === 'close') return undefined
    const items: Item[] = []
    for (;;) {
      items.push(this.unary(false))
      const next = this.peek()
      if (next.kind === 'AND') {
        this.take()
        if (this.endsGroup()) throw syntax('AND needs a term after it', next.at)
        continue
      }
      if (next.kind === 'end' || next.kind === 'close' || next.kind === 'OR') break
    }
    const found = items.filter((i) => i.query !== undefined)
    const include = found.filter((i) => !i.negated).map((i) => i.query!)
    const exclude = found.filter((i) => i.negated).map((i) => i.query!)
    if (include.length === 0) {
      if (exclude.length === 0) return undefined
      throw new KoyaError('KL_SEARCH_EMPTY', `The search query only excludes words at character ${first.at + 1}; give a word to find beside them.`, { details: { position: first.at + 1 } })
    }
    const kept: TextQuery = include.length === 1 ? include[0]! : { kind: 'and', items: include }
    return exclude.reduce<TextQuery>((query, excluded) => ({ kind: 'not', include: query, exclude: excluded }), kept)
  }

  private unary(negated: boolean): Item {
    const token = this.take()
    switch (token.kind) {
      case 'NOT': {
        if (this.endsGroup()) throw syntax('NOT needs a term after it', token.at)
        const item = this.unary(!negated)
        return { ...item, at: token.at }
      }
      case 'terms': {
        const kept = HAS_WORD.test(token.text)
        if (kept) this.terms++
        return { query: kept ? { kind: 'terms', text: token.text, prefix: token.prefix } : undefined, negated: negated !== token.negated, at: token.at }
      }
      case 'open': {
        if (++this.depth > SEARCH_LIMITS.depth) throw new KoyaError('KL_SEARCH_TOO_LONG', `The search query nests parentheses deeper than ${SEARCH_LIMITS.depth} levels.`)
        if (this.peek().kind === 'close') throw syntax('these parentheses are empty', token.at)
        const query = this.or()
        const close = this.take()
        if (close.kind !== 'close') throw syntax('this "(" is never closed', token.at)
        this.depth--
        return { query, negated: negated !== token.negated, at: token.at }
      }
      case 'close':
        throw syntax('this ")" has no "(" before it', token.at)
      case 'AND':
      case 'OR':
        throw syntax(`${token.kind} needs a term before it`, token.at)
      case 'end':
        throw syntax('the query ends too early', token.at)
    }
  }
}
