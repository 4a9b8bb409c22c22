import { describe, expect, it } from 'vitest'
import {
  DEFAULT_QUERY_LIMITS,
  parseQuery,
  type FilterNode,
  type FilterOperator,
  type FilterValue,
  type ParsedQuery,
  type QueryLimits,
  type SelectNode,
} from '../../engine/runtime/rest/query-grammar.ts'
import { errorCodes, KoyaError, type KoyaErrorCode } from '../../engine/shared/errors.ts'

const parse = (query: string, limits?: QueryLimits): ParsedQuery => parseQuery(new URLSearchParams(query), limits)

const EMPTY: ParsedQuery = { select: [{ kind: 'all' }], filters: [], order: [], limit: undefined, offset: undefined, embedRanges: [], onConflict: undefined, columns: undefined }

// ── AST builders, so the expectations read like the queries ─────────────────────────────────────
const text = (value: string): FilterValue => ({ kind: 'text', value })
const list = (...values: string[]): FilterValue => ({ kind: 'list', values })
const pathOf = (path: string): string[] => path.split('.')
const cmp = (path: string, operator: FilterOperator, value: FilterValue, negated = false): FilterNode => ({ kind: 'compare', path: pathOf(path), operator, value, negated })
const not = (node: FilterNode): FilterNode => ({ ...node, negated: true })
const or = (filters: FilterNode[], path: string[] = []): FilterNode => ({ kind: 'or', filters, negated: false, path })
const and = (filters: FilterNode[], path: string[] = []): FilterNode => ({ kind: 'and', filters, negated: false, path })
const all: SelectNode = { kind: 'all' }
const col = (name: string, extra: { alias?: string; cast?: string } = {}): SelectNode => ({ kind: 'column', name, ...extra })
const embed = (relation: string, select: SelectNode[], extra: { alias?: string; inner?: boolean; hint?: string } = {}): SelectNode => ({
  kind: 'embed',
  relation,
  inner: false,
  select,
  ...extra,
})

interface Scenario {
  readonly name: string
  /** The query string as it reaches the server (decoded; the round-trip test below re-encodes each). */
  readonly query: string
  readonly expected: Partial<ParsedQuery>
}

// Queries marked "postgrest-js" are the exact strings its builders append (src/PostgrestFilterBuilder.ts,
// PostgrestTransformBuilder.ts, PostgrestQueryBuilder.ts); the rest are hand-written PostgREST.
const scenarios: Scenario[] = [
  // ── select ──
  { name: 'no parameters select every row and column', query: '', expected: {} },
  { name: 'postgrest-js .select() sends select=* for every column', query: 'select=*', expected: { select: [all] } },
  { name: 'a column list selects those columns', query: 'select=id,title', expected: { select: [col('id'), col('title')] } },
  { name: 'spaces around select items are skipped, as PostgREST does', query: 'select= id , title ,project( name )', expected: { select: [col('id'), col('title'), embed('project', [col('name')])] } },
  { name: 'an alias renames a column', query: 'select=heading:title', expected: { select: [col('title', { alias: 'heading' })] } },
  { name: 'a cast is kept for the data layer to judge', query: 'select=id::text,n:priority::int', expected: { select: [col('id', { cast: 'text' }), col('priority', { alias: 'n', cast: 'int' })] } },
  { name: 'an embed selects columns of a related table', query: 'select=title,project(name)', expected: { select: [col('title'), embed('project', [col('name')])] } },
  { name: 'an aliased embed can select every column', query: 'select=*,p:project(*)', expected: { select: [all, embed('project', [all], { alias: 'p' })] } },
  { name: '!inner makes the embed an inner join', query: 'select=*,project!inner(*)', expected: { select: [all, embed('project', [all], { inner: true })] } },
  { name: 'a hint picks the relationship and an alias names it', query: 'select=author:users!authorId(name)', expected: { select: [embed('users', [col('name')], { alias: 'author', hint: 'authorId' })] } },
  { name: 'a hint and !inner may come in either order', query: 'select=a:users!authorId!inner(id),b:users!inner!editorId(id)', expected: { select: [embed('users', [col('id')], { alias: 'a', hint: 'authorId', inner: true }), embed('users', [col('id')], { alias: 'b', hint: 'editorId', inner: true })] } },
  { name: '!left is the default join', query: 'select=project!left(name)', expected: { select: [embed('project', [col('name')])] } },
  {
    name: 'embeds nest three levels deep with aliases and !inner',
    query: 'select=id,p:project!inner(name,ws:workspace(name,owner:users!ownerId(email,name)))',
    expected: {
      select: [col('id'), embed('project', [col('name'), embed('workspace', [col('name'), embed('users', [col('email'), col('name')], { alias: 'owner', hint: 'ownerId' })], { alias: 'ws' })], { alias: 'p', inner: true })],
    },
  },
  { name: 'an empty embed returns nothing but can still filter the parent', query: 'select=title,actors!inner()&actors.name=eq.Jehanne', expected: { select: [col('title'), embed('actors', [], { inner: true })], filters: [cmp('actors.name', 'eq', text('Jehanne'))] } },
  { name: 'a double-quoted name keeps reserved characters', query: 'select="my,col",id', expected: { select: [col('my,col'), col('id')] } },
  { name: 'names may hold dashes, dollars and inner spaces', query: 'select=first-name,$total,unit price', expected: { select: [col('first-name'), col('$total'), col('unit price')] } },

  // ── column filters (postgrest-js .eq/.neq/… append column=op.value) ──
  { name: 'postgrest-js .eq() compares for equality', query: 'status=eq.todo', expected: { filters: [cmp('status', 'eq', text('todo'))] } },
  { name: 'postgrest-js .neq() compares for inequality', query: 'status=neq.done', expected: { filters: [cmp('status', 'neq', text('done'))] } },
  {
    name: 'postgrest-js .gt() .gte() .lt() .lte() compare order',
    query: 'priority=gt.1&priority=gte.2&priority=lt.5&priority=lte.4',
    expected: { filters: [cmp('priority', 'gt', text('1')), cmp('priority', 'gte', text('2')), cmp('priority', 'lt', text('5')), cmp('priority', 'lte', text('4'))] },
  },
  { name: 'a repeated column gives two ANDed conditions', query: 'dueAt=gte.2026-01-01T00:00:00.000Z&dueAt=lt.2027-01-01T00:00:00.000Z', expected: { filters: [cmp('dueAt', 'gte', text('2026-01-01T00:00:00.000Z')), cmp('dueAt', 'lt', text('2027-01-01T00:00:00.000Z'))] } },
  { name: 'a top-level value runs to the end of the parameter, dots, commas and quotes included', query: 'title=eq.v1.2, "final" (really)', expected: { filters: [cmp('title', 'eq', text('v1.2, "final" (really)'))] } },
  { name: 'an empty value is the empty string', query: 'title=eq.', expected: { filters: [cmp('title', 'eq', text(''))] } },
  { name: 'postgrest-js .eq(col, null) compares with the text null, as PostgREST does', query: 'title=eq.null', expected: { filters: [cmp('title', 'eq', text('null'))] } },
  { name: 'postgrest-js .like() keeps * and % as written', query: 'title=like.*ship*&body=like.%Lu%', expected: { filters: [cmp('title', 'like', text('*ship*')), cmp('body', 'like', text('%Lu%'))] } },
  { name: 'postgrest-js .ilike() matches case-insensitively', query: 'title=ilike.*SHIP*', expected: { filters: [cmp('title', 'ilike', text('*SHIP*'))] } },
  { name: 'postgrest-js .in() sends a parenthesized list', query: 'status=in.(todo,doing)', expected: { filters: [cmp('status', 'in', list('todo', 'doing'))] } },
  { name: 'postgrest-js .in() double-quotes values holding , ( or )', query: 'tags=in.(a,"b,c","d)e","(f")', expected: { filters: [cmp('tags', 'in', list('a', 'b,c', 'd)e', '(f'))] } },
  { name: 'inside quotes a backslash takes the next character literally', query: 'tags=in.("say \\"hi\\"","back\\\\slash")', expected: { filters: [cmp('tags', 'in', list('say "hi"', 'back\\slash'))] } },
  { name: 'a quote not followed by , or ) is plain text, as in PostgREST', query: 'tags=in.("a"b,c)', expected: { filters: [cmp('tags', 'in', list('"a"b', 'c'))] } },
  { name: 'postgrest-js .in(col, []) sends in.() which matches nothing', query: 'id=in.()', expected: { filters: [cmp('id', 'in', list())] } },
  { name: 'a quoted empty string is a list item', query: 'id=in.("")', expected: { filters: [cmp('id', 'in', list(''))] } },
  { name: 'numbers in a list stay text for the data layer to convert', query: 'id=in.(1,2,3)', expected: { filters: [cmp('id', 'in', list('1', '2', '3'))] } },
  { name: 'postgrest-js .is() tests null, true and false', query: 'body=is.null&done=is.true&archived=is.false', expected: { filters: [cmp('body', 'is', { kind: 'null' }), cmp('done', 'is', { kind: 'true' }), cmp('archived', 'is', { kind: 'false' })] } },
  { name: 'is. values are case-insensitive and unknown means null', query: 'body=is.NULL&done=is.Unknown', expected: { filters: [cmp('body', 'is', { kind: 'null' }), cmp('done', 'is', { kind: 'null' })] } },
  { name: 'postgrest-js .not() negates any operator', query: 'status=not.eq.done&body=not.is.null', expected: { filters: [cmp('status', 'eq', text('done'), true), cmp('body', 'is', { kind: 'null' }, true)] } },
  { name: 'postgrest-js .notIn() sends not.in.(…)', query: 'status=not.in.(done,"archived, old")', expected: { filters: [cmp('status', 'in', list('done', 'archived, old'), true)] } },
  { name: 'postgrest-js .match() sends one eq per column', query: 'status=eq.todo&priority=eq.1', expected: { filters: [cmp('status', 'eq', text('todo')), cmp('priority', 'eq', text('1'))] } },
  { name: 'a dotted column filters an embedded resource', query: 'project.name=eq.Apollo&project.workspace.slug=eq.acme', expected: { filters: [cmp('project.name', 'eq', text('Apollo')), cmp('project.workspace.slug', 'eq', text('acme'))] } },
  { name: 'a double-quoted column name may hold a dot', query: '"information.cpe"=like.*MS*', expected: { filters: [{ kind: 'compare', path: ['information.cpe'], operator: 'like', value: text('*MS*'), negated: false }] } },
  { name: 'a double-quoted reserved word is a column, not a parameter', query: '"order"=eq.1&"limit"=gt.2', expected: { filters: [cmp('order', 'eq', text('1')), cmp('limit', 'gt', text('2'))] } },
  { name: 'a column with spaces is filtered by its name', query: 'unit price=lt.200', expected: { filters: [{ kind: 'compare', path: ['unit price'], operator: 'lt', value: text('200'), negated: false }] } },

  // ── or / and trees (postgrest-js .or(filters) sends or=(filters)) ──
  { name: 'postgrest-js .or() ORs conditions', query: 'or=(status.eq.todo,priority.gt.1)', expected: { filters: [or([cmp('status', 'eq', text('todo')), cmp('priority', 'gt', text('1'))])] } },
  {
    name: 'an and() group nests inside or',
    query: 'or=(status.eq.todo,and(priority.gt.1,title.like.*a*))',
    expected: { filters: [or([cmp('status', 'eq', text('todo')), and([cmp('priority', 'gt', text('1')), cmp('title', 'like', text('*a*'))])])] },
  },
  { name: 'and=(…) is a top-level AND group', query: 'and=(priority.gte.1,priority.lte.3)', expected: { filters: [and([cmp('priority', 'gte', text('1')), cmp('priority', 'lte', text('3'))])] } },
  { name: 'not.or negates the whole group', query: 'not.or=(status.eq.done,status.eq.archived)', expected: { filters: [not(or([cmp('status', 'eq', text('done')), cmp('status', 'eq', text('archived'))]))] } },
  { name: 'not.and negates the whole group', query: 'not.and=(a.eq.1,b.eq.2)', expected: { filters: [not(and([cmp('a', 'eq', text('1')), cmp('b', 'eq', text('2'))]))] } },
  { name: 'a nested group may be negated', query: 'or=(not.and(a.eq.1,b.eq.2),c.eq.3)', expected: { filters: [or([not(and([cmp('a', 'eq', text('1')), cmp('b', 'eq', text('2'))])), cmp('c', 'eq', text('3'))])] } },
  { name: 'a condition inside a group may be negated', query: 'or=(status.not.eq.done,body.not.is.null)', expected: { filters: [or([cmp('status', 'eq', text('done'), true), cmp('body', 'is', { kind: 'null' }, true)])] } },
  { name: 'in.(…) lists work inside a group', query: 'or=(tags.in.(a,"b,c"),id.eq.1)', expected: { filters: [or([cmp('tags', 'in', list('a', 'b,c')), cmp('id', 'eq', text('1'))])] } },
  {
    name: 'quoted values inside a group may hold , ) and .',
    query: 'or=(title.eq."a,b",title.eq."x)y",title.eq.dot.ted,title.eq."say \\"hi\\"")',
    expected: { filters: [or([cmp('title', 'eq', text('a,b')), cmp('title', 'eq', text('x)y')), cmp('title', 'eq', text('dot.ted')), cmp('title', 'eq', text('say "hi"'))])] },
  },
  { name: 'an unquoted value inside a group ends at , or )', query: 'or=(dueAt.lt.2027-01-01T00:00:00.000Z,title.eq.a b)', expected: { filters: [or([cmp('dueAt', 'lt', text('2027-01-01T00:00:00.000Z')), cmp('title', 'eq', text('a b'))])] } },
  { name: 'a {…} literal inside a group is kept whole, commas included', query: 'or=(tags.eq.{a,b},id.eq.1)', expected: { filters: [or([cmp('tags', 'eq', text('{a,b}')), cmp('id', 'eq', text('1'))])] } },
  { name: 'spaces around group items are skipped; a raw value keeps its own, as in PostgREST', query: 'or=( a.eq.1 , b.eq.2)', expected: { filters: [or([cmp('a', 'eq', text('1 ')), cmp('b', 'eq', text('2'))])] } },
  {
    name: 'postgrest-js .or(…, { referencedTable }) sends project.or and its paths start at project',
    query: 'project.or=(name.eq.Apollo,name.eq.Gemini)',
    expected: { filters: [or([cmp('project.name', 'eq', text('Apollo')), cmp('project.name', 'eq', text('Gemini'))], ['project'])] },
  },
  { name: 'not may sit anywhere before an embedded or, as PostgREST reads it', query: 'project.not.or=(a.eq.1)&not.project.and=(b.eq.2)', expected: { filters: [not(or([cmp('project.a', 'eq', text('1'))], ['project'])), not(and([cmp('project.b', 'eq', text('2'))], ['project']))] } },
  { name: 'two or parameters are ANDed', query: 'or=(a.eq.1,a.eq.2)&or=(b.eq.1,b.eq.2)', expected: { filters: [or([cmp('a', 'eq', text('1')), cmp('a', 'eq', text('2'))]), or([cmp('b', 'eq', text('1')), cmp('b', 'eq', text('2'))])] } },
  { name: 'a column called not or and is still a column inside a group', query: 'or=(not.eq.1,and.is.null)', expected: { filters: [or([cmp('not', 'eq', text('1')), cmp('and', 'is', { kind: 'null' })])] } },

  // ── order (postgrest-js .order() appends column.asc|desc[.nullsfirst|.nullslast] to one order parameter) ──
  { name: 'postgrest-js .order(col) sends col.asc', query: 'order=title.asc', expected: { order: [{ path: ['title'], direction: 'asc', nulls: 'default' }] } },
  { name: 'a bare column orders ascending', query: 'order=title', expected: { order: [{ path: ['title'], direction: 'asc', nulls: 'default' }] } },
  { name: 'postgrest-js { ascending: false } sends desc', query: 'order=dueAt.desc', expected: { order: [{ path: ['dueAt'], direction: 'desc', nulls: 'default' }] } },
  { name: 'postgrest-js { nullsFirst: true } sends nullsfirst', query: 'order=dueAt.asc.nullsfirst', expected: { order: [{ path: ['dueAt'], direction: 'asc', nulls: 'first' }] } },
  {
    name: 'several .order() calls join into one comma-separated parameter',
    query: 'order=dueAt.desc.nullslast,title.asc',
    expected: { order: [{ path: ['dueAt'], direction: 'desc', nulls: 'last' }, { path: ['title'], direction: 'asc', nulls: 'default' }] },
  },
  { name: 'nulls placement may come without a direction', query: 'order=dueAt.nullsfirst', expected: { order: [{ path: ['dueAt'], direction: 'asc', nulls: 'first' }] } },
  { name: 'a double-quoted order column (as postgrest-dart sends) is a name', query: 'order="order".desc,"title".asc.nullslast', expected: { order: [{ path: ['order'], direction: 'desc', nulls: 'default' }, { path: ['title'], direction: 'asc', nulls: 'last' }] } },
  { name: 'postgrest-js { referencedTable } sends project.order, which orders the embedded rows', query: 'select=*,project(*)&project.order=name.desc', expected: { select: [all, embed('project', [all])], order: [{ path: ['project', 'name'], direction: 'desc', nulls: 'default' }] } },
  { name: 'spaces around order terms are skipped', query: 'order= a.desc , b', expected: { order: [{ path: ['a'], direction: 'desc', nulls: 'default' }, { path: ['b'], direction: 'asc', nulls: 'default' }] } },

  // ── range ──
  { name: 'postgrest-js .limit(20) sends limit=20', query: 'limit=20', expected: { limit: 20 } },
  { name: 'postgrest-js .range(40, 59) sends offset=40&limit=20', query: 'offset=40&limit=20', expected: { offset: 40, limit: 20 } },
  { name: 'limit=0 asks for no rows', query: 'limit=0&offset=0', expected: { limit: 0, offset: 0 } },
  { name: 'limit may equal the maximum', query: 'limit=1000', expected: { limit: 1000 } },
  {
    name: 'postgrest-js .range(0, 4, { referencedTable }) pages the embedded rows',
    query: 'select=*,comments(*)&comments.offset=0&comments.limit=5&limit=10',
    expected: { select: [all, embed('comments', [all])], limit: 10, embedRanges: [{ path: ['comments'], offset: 0, limit: 5 }] },
  },

  // ── insert and upsert ──
  { name: 'postgrest-js bulk .insert() sends the quoted column list', query: 'columns="title","status","projectId"', expected: { columns: ['title', 'status', 'projectId'] } },
  { name: 'postgrest-js .upsert({ onConflict }) sends on_conflict', query: 'on_conflict=email&columns="email","name"', expected: { onConflict: ['email'], columns: ['email', 'name'] } },
  { name: 'on_conflict may list several columns, spaces allowed', query: 'on_conflict=workspaceId, slug', expected: { onConflict: ['workspaceId', 'slug'] } },

  // ── a whole request ──
  {
    name: 'a full list request combines every part',
    query: 'select=id,title,project(name)&status=in.(todo,doing)&dueAt=lt.2027-01-01T00:00:00.000Z&or=(priority.gt.1,title.ilike.*urgent*)&order=dueAt.asc,title.asc&offset=0&limit=20',
    expected: {
      select: [col('id'), col('title'), embed('project', [col('name')])],
      filters: [cmp('status', 'in', list('todo', 'doing')), cmp('dueAt', 'lt', text('2027-01-01T00:00:00.000Z')), or([cmp('priority', 'gt', text('1')), cmp('title', 'ilike', text('*urgent*'))])],
      order: [{ path: ['dueAt'], direction: 'asc', nulls: 'default' }, { path: ['title'], direction: 'asc', nulls: 'default' }],
      offset: 0,
      limit: 20,
    },
  },
]

describe('parseQuery: PostgREST queries as postgrest-js sends them', () => {
  for (const scenario of scenarios) {
    it(scenario.name, () => {
      expect(parse(scenario.query)).toEqual({ ...EMPTY, ...scenario.expected })
    })
  }

  it('every scenario parses the same after percent-encoding, as it travels on the wire', () => {
    for (const scenario of scenarios) {
      const wire = new URLSearchParams(scenario.query).toString()
      expect(parseQuery(new URLSearchParams(wire)), scenario.name).toEqual(parse(scenario.query))
    }
  })
})

/** A postgrest-js request, built the way its builders build it, sent as a URL and read back from the wire. */
function postgrestJs(build: (url: URL) => void): URLSearchParams {
  const url = new URL('http://127.0.0.1:3000/api/tasks')
  build(url)
  return new URL(url.toString()).searchParams
}

/** postgrest-js `.in()`: dedupes, double-quotes strings holding , ( or ), joins with commas. */
const inList = (values: unknown[]): string =>
  `in.(${Array.from(new Set(values))
    .map((v) => (typeof v === 'string' && /[,()]/.test(v) ? `"${v}"` : `${v}`))
    .join(',')})`

describe('parseQuery: round trips through postgrest-js URL building', () => {
  it('reads .select() with spaces stripped, .in() with reserved characters, .or() and .order() from the encoded URL', () => {
    const params = postgrestJs((url) => {
      url.searchParams.set('select', 'id, title, project ( name )'.replace(/\s/g, ''))
      url.searchParams.append('tags', inList(['a', 'b,c', 'b,c', '(d)', 3]))
      url.searchParams.append('or', '(title.ilike.*a&b*,body.is.null)')
      url.searchParams.set('order', 'dueAt.desc.nullslast')
      url.searchParams.set('offset', '10')
      url.searchParams.set('limit', '10')
    })
    expect(parseQuery(params)).toEqual({
      ...EMPTY,
      select: [col('id'), col('title'), embed('project', [col('name')])],
      filters: [cmp('tags', 'in', list('a', 'b,c', '(d)', '3')), or([cmp('title', 'ilike', text('*a&b*')), cmp('body', 'is', { kind: 'null' })])],
      order: [{ path: ['dueAt'], direction: 'desc', nulls: 'last' }],
      offset: 10,
      limit: 10,
    })
  })

  it('keeps +, %, & and = inside values once they are percent-encoded', () => {
    const params = postgrestJs((url) => {
      url.searchParams.append('dueAt', 'gte.2026-01-01T00:00:00+02:00')
      url.searchParams.append('title', 'like.100%&a=b')
    })
    expect(parseQuery(params).filters).toEqual([cmp('dueAt', 'gte', text('2026-01-01T00:00:00+02:00')), cmp('title', 'like', text('100%&a=b'))])
  })
})

// ── bad input: every failure is a KoyaError with a stable KL_API_ code ──────────────────────────
function failure(run: () => unknown): KoyaError {
  try {
    run()
  } catch (error) {
    if (error instanceof KoyaError) return error
    throw error
  }
  throw new Error('expected a KoyaError, but the query parsed')
}

const badInputs: [name: string, query: string, code: KoyaErrorCode][] = [
  ['a quoted alias with a control character is refused', 'select="a%00b":title', 'KL_API_BAD_SELECT'],
  // filters
  ['an unknown operator is refused', 'status=equals.todo', 'KL_API_BAD_FILTER'],
  ['a value without an operator is refused (PostgREST would ignore it)', 'status=todo', 'KL_API_BAD_FILTER'],
  ['an operator without its dot is refused', 'status=eq', 'KL_API_BAD_FILTER'],
  ['an empty filter value is refused', 'status=', 'KL_API_BAD_FILTER'],
  ['operators are lower case', 'status=EQ.todo', 'KL_API_BAD_FILTER'],
  ['an operator followed by ( instead of . is refused', 'id=in(1,2)', 'KL_API_BAD_FILTER'],
  ['not. with nothing after it is refused', 'status=not.', 'KL_API_BAD_FILTER'],
  ['not. twice is refused', 'status=not.not.eq.x', 'KL_API_BAD_FILTER'],
  ['in. without parentheses is refused', 'id=in.1,2', 'KL_API_BAD_FILTER'],
  ['an unclosed in-list is refused', 'id=in.(1,2', 'KL_API_BAD_FILTER'],
  ['text after an in-list is refused (PostgREST would ignore it)', 'id=in.(1,2)3', 'KL_API_BAD_FILTER'],
  ['is. takes only null, true or false', 'body=is.empty', 'KL_API_BAD_FILTER'],
  ['text after is.null is refused (PostgREST would ignore it)', 'body=is.nullish', 'KL_API_BAD_FILTER'],
  ['an empty column name is refused', '=eq.1', 'KL_API_BAD_FILTER'],
  ['an empty segment in a column path is refused', 'project..name=eq.1', 'KL_API_BAD_FILTER'],
  ['stray punctuation in a column name is refused', 'sta(tus=eq.1', 'KL_API_BAD_FILTER'],
  ['an unclosed quoted column name is refused', '"status=eq.1', 'KL_API_BAD_FILTER'],
  ['an empty quoted column name is refused', '""=eq.1', 'KL_API_BAD_FILTER'],
  // logic trees
  ['an or without parentheses is refused', 'or=status.eq.todo', 'KL_API_BAD_FILTER'],
  ['an empty or group is refused', 'or=()', 'KL_API_BAD_FILTER'],
  ['an unclosed or group is refused', 'or=(a.eq.1,b.eq.2', 'KL_API_BAD_FILTER'],
  ['text after the closing parenthesis is refused', 'or=(a.eq.1)x', 'KL_API_BAD_FILTER'],
  ['a trailing comma in a group is refused', 'or=(a.eq.1,)', 'KL_API_BAD_FILTER'],
  ['a misspelled nested group is refused', 'and=(ord(a.eq.1),b.eq.2)', 'KL_API_BAD_FILTER'],
  ['a dotted path inside a group is refused (use project.or)', 'or=(project.name.eq.x)', 'KL_API_BAD_FILTER'],
  ['a condition without an operator in a group is refused', 'or=(a,b.eq.1)', 'KL_API_BAD_FILTER'],
  ['an unknown operator in a group is refused', 'or=(a.like2.x)', 'KL_API_BAD_FILTER'],
  ['an in-list in a group must be closed', 'or=(id.in.(1,2)', 'KL_API_BAD_FILTER'],
  ['a {…} literal followed by text in a group is refused', 'or=(a.eq.{1}x)', 'KL_API_BAD_FILTER'],
  ['xor is not a logic operator', 'or=(a.eq.1,not.xor(b.eq.2))', 'KL_API_BAD_FILTER'],
  // select
  ['an empty select is refused', 'select=', 'KL_API_BAD_SELECT'],
  ['a trailing comma in select is refused', 'select=id,', 'KL_API_BAD_SELECT'],
  ['a leading comma in select is refused', 'select=,id', 'KL_API_BAD_SELECT'],
  ['an unclosed embed is refused', 'select=project(name', 'KL_API_BAD_SELECT'],
  ['an extra closing parenthesis is refused', 'select=id)', 'KL_API_BAD_SELECT'],
  ['a hint without an embed is refused', 'select=users!authorId', 'KL_API_BAD_SELECT'],
  ['two hints on one embed are refused', 'select=users!a!b(id)', 'KL_API_BAD_SELECT'],
  ['two join types on one embed are refused', 'select=users!inner!left(id)', 'KL_API_BAD_SELECT'],
  ['an alias on * is refused', 'select=all:*', 'KL_API_BAD_SELECT'],
  ['an empty alias target is refused', 'select=a:', 'KL_API_BAD_SELECT'],
  ['a dotted column in select is refused (embed it instead)', 'select=project.name', 'KL_API_BAD_SELECT'],
  ['a cast without a type is refused', 'select=id::', 'KL_API_BAD_SELECT'],
  ['text after * is refused', 'select=*x', 'KL_API_BAD_SELECT'],
  ['select given twice is refused', 'select=id&select=title', 'KL_API_BAD_SELECT'],
  // order
  ['an unknown direction is refused', 'order=title.ac', 'KL_API_BAD_ORDER'],
  ['a misspelled nulls placement is refused', 'order=title.asc.nullslasttt', 'KL_API_BAD_ORDER'],
  ['two directions are refused', 'order=title.asc.desc', 'KL_API_BAD_ORDER'],
  ['nulls placement before the direction is refused', 'order=title.nullsfirst.desc', 'KL_API_BAD_ORDER'],
  ['an empty order is refused', 'order=', 'KL_API_BAD_ORDER'],
  ['a trailing comma in order is refused', 'order=title,', 'KL_API_BAD_ORDER'],
  ['order given twice for the same level is refused', 'order=title&order=id', 'KL_API_BAD_ORDER'],
  // pagination
  ['a negative limit is refused', 'limit=-1', 'KL_API_BAD_PAGINATION'],
  ['a fractional limit is refused', 'limit=1.5', 'KL_API_BAD_PAGINATION'],
  ['a limit with a sign is refused', 'limit=%2B5', 'KL_API_BAD_PAGINATION'],
  ['a limit in exponent form is refused', 'limit=1e2', 'KL_API_BAD_PAGINATION'],
  ['an empty offset is refused (PostgREST would ignore it)', 'offset=', 'KL_API_BAD_PAGINATION'],
  ['a word as offset is refused', 'offset=ten', 'KL_API_BAD_PAGINATION'],
  ['an absurdly long offset is refused', 'offset=1234567890123456', 'KL_API_BAD_PAGINATION'],
  ['a bad embedded limit is refused', 'project.limit=x', 'KL_API_BAD_PAGINATION'],
  ['limit given twice is refused', 'limit=1&limit=2', 'KL_API_BAD_PAGINATION'],
  // column lists
  ['an empty on_conflict is refused', 'on_conflict=', 'KL_API_BAD_COLUMN_LIST'],
  ['a trailing comma in columns is refused', 'columns=a,', 'KL_API_BAD_COLUMN_LIST'],
  ['an unclosed quoted column is refused', 'columns="a,"b"', 'KL_API_BAD_COLUMN_LIST'],
  ['punctuation in on_conflict is refused', 'on_conflict=a(b)', 'KL_API_BAD_COLUMN_LIST'],
  ['columns given twice is refused', 'columns=a&columns=b', 'KL_API_BAD_COLUMN_LIST'],
  // PostgREST syntax KoyaLite does not serve
  ['the contains operator is not served', 'tags=cs.{a,b}', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['the overlap operator is not served', 'tags=ov.{a,b}', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['range operators are not served', 'during=sl.(1,10)', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['regex operators are not served', 'title=match.^a', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['isdistinct is not served', 'title=isdistinct.a', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['a text search configuration must be closed', 'body=wfts(english.ship it', 'KL_API_BAD_FILTER'],
  ['any/all quantifiers (postgrest-js .likeAnyOf) are not served', 'title=like(any).{a*,b*}', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['an unserved operator inside a group is not served', 'or=(tags.cs.{a},id.eq.1)', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['JSON paths in filters are not served', 'data->>key=eq.1', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['JSON paths in select are not served', 'select=data->key', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['JSON paths in order are not served', 'order=data->key.desc', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['spread embeds are not served', 'select=id,...project(name)', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['count() is not served', 'select=count()', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['column aggregates are not served', 'select=amount.sum()', 'KL_API_UNSUPPORTED_SYNTAX'],
  ['ordering by an embedded column is not served', 'order=project(name).desc', 'KL_API_UNSUPPORTED_SYNTAX'],
  // limits
  ['a limit above the maximum is refused, not clamped', 'limit=1001', 'KL_API_LIMIT_EXCEEDED'],
  ['an embedded limit above the maximum is refused', 'project.limit=5000', 'KL_API_LIMIT_EXCEEDED'],
  ['a filter path deeper than the maximum embed depth is refused', 'a.b.c.d.col=eq.1', 'KL_API_LIMIT_EXCEEDED'],
  ['an embedded or deeper than the maximum is refused', 'a.b.c.d.or=(x.eq.1)', 'KL_API_LIMIT_EXCEEDED'],
  ['an embedded order deeper than the maximum is refused', 'a.b.c.d.order=x', 'KL_API_LIMIT_EXCEEDED'],
  ['select embeds deeper than the maximum are refused', 'select=a(b(c(d(id))))', 'KL_API_LIMIT_EXCEEDED'],
]

describe('parseQuery: bad input', () => {
  for (const [name, query, code] of badInputs) {
    it(`${name}: ${query}`, () => {
      const error = failure(() => parse(query))
      expect(error.code).toBe(code)
      expect(error.hint.length).toBeGreaterThan(0)
    })
  }

  it('names the parameter and its text in the message and the valid operators in the hint', () => {
    const error = failure(() => parse('status=equals.todo'))
    expect(error.message).toBe('Cannot read the "status" filter "equals.todo": unknown operator "equals" (at character 1).')
    expect(error.hint).toContain('eq, neq, gt, gte, lt, lte, like, ilike, in, is')
  })

  it('points at the character where a logic tree breaks', () => {
    const error = failure(() => parse('or=(a.eq.1,b.eq.2'))
    expect(error.message).toBe('Cannot read the "or" parameter "(a.eq.1,b.eq.2": expected "," or ")", found the end of the text (at character 15).')
  })

  it('points at the offending word, not past it', () => {
    expect(failure(() => parse('order=title.asc.desc')).message).toBe(
      'Cannot read the "order" parameter "title.asc.desc": expected asc, desc, nullsfirst or nullslast after "title.", found "desc" (at character 11).',
    )
    expect(failure(() => parse('body=is.nullish')).message).toBe('Cannot read the "body" filter "is.nullish": "is." takes null, true or false, not "nullish" (at character 4).')
    expect(failure(() => parse('id=in(1,2)')).message).toBe('Cannot read the "id" filter "in(1,2)": expected "." after the operator "in", found "(" (at character 3).')
  })

  it('names the maximum in the hint when limit is too large', () => {
    const error = failure(() => parse('limit=5000'))
    expect(error.message).toContain('5000')
    expect(error.hint).toContain('1000')
  })

  it('names the unserved operator', () => {
    expect(failure(() => parse('tags=cs.{a}')).message).toContain('"cs" is not supported')
  })

  it('cuts a long offending value short in the message', () => {
    const error = failure(() => parse(`status=${'x'.repeat(3000)}`))
    expect(error.message.length).toBeLessThan(400)
  })

  it('every code it throws is in the registry', () => {
    for (const [, , code] of badInputs) expect(errorCodes[code]).toBeDefined()
  })
})

describe('parseQuery: limits', () => {
  it('counts column filters against maxFilters', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `c${i}=eq.1`).join('&')
    expect(parse(fifty).filters).toHaveLength(50)
    expect(failure(() => parse(`${fifty}&c50=eq.1`)).code).toBe('KL_API_LIMIT_EXCEEDED')
  })

  it('counts every group and condition of a logic tree against maxFilters', () => {
    const conditions = (n: number): string => Array.from({ length: n }, (_, i) => `c${i}.eq.1`).join(',')
    expect(parse(`or=(${conditions(49)})`).filters).toHaveLength(1)
    expect(failure(() => parse(`or=(${conditions(50)})`)).code).toBe('KL_API_LIMIT_EXCEEDED')
  })

  it('refuses deep nesting with a KoyaError before the stack runs out', () => {
    const depth = 1000
    const query = `or=(${'and('.repeat(depth)}a.eq.1${')'.repeat(depth + 1)}`
    const roomy: QueryLimits = { ...DEFAULT_QUERY_LIMITS, maxValueLength: 100_000 }
    expect(failure(() => parse(query, roomy)).code).toBe('KL_API_LIMIT_EXCEEDED')
    const select = `select=${'a('.repeat(depth)}id${')'.repeat(depth)}`
    expect(failure(() => parse(select, roomy)).code).toBe('KL_API_LIMIT_EXCEEDED')
  })

  it('allows select embeds exactly maxEmbedDepth deep', () => {
    expect(parse('select=a(b(c(id)))').select).toEqual([embed('a', [embed('b', [embed('c', [col('id')])])])])
  })

  it('caps in-lists at maxInListLength items', () => {
    const items = (n: number): string => Array.from({ length: n }, (_, i) => i).join(',')
    expect(parse(`id=in.(${items(500)})`).filters).toHaveLength(1)
    expect(failure(() => parse(`id=in.(${items(501)})`)).code).toBe('KL_API_LIMIT_EXCEEDED')
  })

  it('caps each parameter name and value at maxValueLength', () => {
    expect(parse(`title=eq.${'x'.repeat(4093)}`).filters).toHaveLength(1)
    expect(failure(() => parse(`title=eq.${'x'.repeat(4094)}`)).code).toBe('KL_API_LIMIT_EXCEEDED')
    expect(failure(() => parse(`${'x'.repeat(4097)}=eq.1`)).code).toBe('KL_API_LIMIT_EXCEEDED')
  })

  it('honours limits passed by the caller', () => {
    const tight: QueryLimits = { maxFilters: 2, maxValueLength: 64, maxEmbedDepth: 1, maxLimit: 50, maxInListLength: 2 }
    expect(parse('limit=50', tight).limit).toBe(50)
    expect(failure(() => parse('limit=51', tight)).hint).toContain('50')
    expect(failure(() => parse('a=eq.1&b=eq.2&c=eq.3', tight)).code).toBe('KL_API_LIMIT_EXCEEDED')
    expect(failure(() => parse('select=a(b(id))', tight)).code).toBe('KL_API_LIMIT_EXCEEDED')
    expect(failure(() => parse('id=in.(1,2,3)', tight)).code).toBe('KL_API_LIMIT_EXCEEDED')
  })
})

// ── fuzz: garbage never crashes the parser ──────────────────────────────────────────────────────
/** mulberry32: a tiny seeded PRNG, so every run feeds the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = ['select', 'order', 'limit', 'offset', 'or', 'and', 'not.or', 'not.and', 'on_conflict', 'columns', 'status', 'project.name', 'project.or', 'project.order', 'project.limit', '"x.y"', 'a.b.c', '']
const TOKENS = ['eq', 'neq', 'gt', 'lt', 'like', 'ilike', 'in', 'is', 'not', 'and', 'or', 'null', 'true', 'cs', 'fts', 'asc', 'desc', 'nullsfirst', 'inner', 'left', 'count', 'a', 'b1', 'dueAt', '0', '42', '-1',
  '.', '.', '.', ',', ',', '(', '(', ')', ')', '"', '\\', '*', ':', '::', '!', '->', '->>', '{', '}', ' ', '..', '...', '%', '+', 'é', '🙂', '\t', '\u0000', '\uD800']

function randomQuery(rand: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
  const params = new URLSearchParams()
  const count = 1 + Math.floor(rand() * 4)
  for (let p = 0; p < count; p++) {
    let value = ''
    const length = Math.floor(rand() * 14)
    for (let t = 0; t < length; t++) value += pick(TOKENS)
    params.append(pick(KEYS), value)
  }
  return params.toString()
}

function mutate(query: string, rand: () => number): string {
  const chars = [...query]
  const edits = 1 + Math.floor(rand() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (chars.length + 1))
    const choice = rand()
    if (choice < 0.4) chars.splice(at, 1)
    else if (choice < 0.8) chars.splice(at, 0, '.,()"\\*:!&=-> {}'.charAt(Math.floor(rand() * 17)))
    else chars.splice(at, 0, ...chars.slice(at, at + 5))
  }
  return chars.join('')
}

function randomBytes(rand: () => number): string {
  let out = ''
  const length = Math.floor(rand() * 40)
  for (let i = 0; i < length; i++) out += String.fromCharCode(Math.floor(rand() * 128))
  return out
}

/** What must hold of any successful parse: non-empty names, and compare paths under a group start with the group's path. */
function checkInvariants(query: ParsedQuery): void {
  const names = (path: string[]): void => {
    expect(path.length).toBeGreaterThan(0)
    for (const name of path) expect(name).not.toBe('')
  }
  const filter = (node: FilterNode, prefix: string[]): void => {
    expect(node.path.slice(0, prefix.length)).toEqual(prefix)
    if (node.kind === 'compare') names(node.path)
    else for (const child of node.filters) filter(child, node.path)
  }
  for (const node of query.filters) filter(node, [])
  for (const term of query.order) names(term.path)
  const select = (node: SelectNode): void => {
    if (node.kind === 'column') expect(node.name).not.toBe('')
    if (node.kind === 'embed') node.select.forEach(select)
  }
  query.select.forEach(select)
}

describe('parseQuery: fuzz', () => {
  it('answers a few thousand garbled queries with a ParsedQuery or a KL_API_ KoyaError, never a crash', () => {
    const rand = prng(20260917)
    const inputs: string[] = []
    for (let i = 0; i < 2500; i++) inputs.push(randomQuery(rand))
    for (let i = 0; i < 2500; i++) inputs.push(mutate(pick(scenarios, rand).query, rand))
    for (let i = 0; i < 500; i++) inputs.push(randomBytes(rand))

    const outcomes = { parsed: 0, refused: 0 }
    const codes = new Set<string>()
    for (const input of inputs) {
      try {
        checkInvariants(parse(input))
        outcomes.parsed++
      } catch (error) {
        if (!(error instanceof KoyaError)) throw new Error(`${String(error)} for input ${JSON.stringify(input)}`)
        expect(error.code, input).toMatch(/^KL_API_/)
        expect(errorCodes[error.code], input).toBeDefined()
        expect(error.message.length, input).toBeGreaterThan(0)
        codes.add(error.code)
        outcomes.refused++
      }
    }
    // Not vacuous: the inputs reach both outcomes and every kind of refusal.
    expect(outcomes.parsed).toBeGreaterThan(300)
    expect(outcomes.refused).toBeGreaterThan(300)
    expect([...codes].sort()).toEqual(['KL_API_BAD_COLUMN_LIST', 'KL_API_BAD_FILTER', 'KL_API_BAD_ORDER', 'KL_API_BAD_PAGINATION', 'KL_API_BAD_SELECT', 'KL_API_LIMIT_EXCEEDED', 'KL_API_UNSUPPORTED_SYNTAX'])
  })
})

function pick<T>(items: readonly T[], rand: () => number): T {
  return items[Math.floor(rand() * items.length)]!
}
