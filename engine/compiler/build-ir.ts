import { USERS_CORE_COLUMNS, table as tableBuilder, type AuthDef, type TableDef } from '../dsl/index.ts'
import { MAX_NAME_LENGTH, RESERVED_TABLE_NAMES, ROLE_NAME_PATTERN, SDK_TYPE_NAMES, TABLE_NAME_PATTERN, pascalCase, reservedPrefixOf, typeNameOf } from '../shared/naming.ts'
import { buildColumn, type ResolvedColumn } from './build-columns.ts'
import { buildRelations, isIndexLeader } from './build-relations.ts'
import { buildPrivacy } from './build-privacy.ts'
import { buildComplianceIRs } from './build-compliance.ts'
import { describeIssue, issuePath, tableDefSchema, type ValidConfigDef } from './def-schemas.ts'
import { PROJECT_IR_VERSION, type AuthIR, type BackupsIR, type EmailIR, type EmbeddingsIR, type IndexIR, type OAuthProviderIR, type ProjectIR, type SettingIR, type TableIR } from '../ir/project-ir.ts'
import type { SourceLocation } from '../shared/errors.ts'
import type { Problems } from './problems.ts'
import { buildHandlerIRs, buildRetry, checkCron } from './build-handlers.ts'
import { emailTemplatesOf } from './build-email-templates.ts'
import { graphqlNameClashes } from '../ir/graphql/graphql-names.ts'
import { parseDuration } from '../shared/durations.ts'
import { buildEnvironments, buildHttp } from './build-http.ts'
import { buildEnv } from './build-env.ts'
import { buildSecrets } from './build-secrets.ts'

export { parseDuration }

const DEFAULT_IDLE_TIMEOUT = '7d'
const DEFAULT_ABSOLUTE_TIMEOUT = '30d'
const TEXT_SEARCHABLE = new Set(['text', 'enum'])

interface TableInProgress {
  readonly def: TableDef
  readonly columns: ResolvedColumn[]
}

/**
 * Build the ProjectIR from a validated config, collecting every problem into `problems`.
 * Returns the IR even when there are problems (callers check `problems.errors` first). `root`
 * is where function files are looked for; without it their existence is not checked.
 */
export function buildProjectIR(config: ValidConfigDef, problems: Problems, root?: string): ProjectIR {
  const tables = collectTables(config, problems)
  for (const table of tables) {
    for (const [name, column] of Object.entries(table.def.columns)) table.columns.push(buildColumn(table.def, name, column.def, problems))
    checkUsersTable(table, problems)
  }
  checkTableRenames(tables, problems)
  const relations = buildRelations(tables.map((t) => ({ name: t.def.name, columns: t.columns })), problems)
  const privacy = buildPrivacy(tables.map((t) => ({ def: t.def, columns: t.columns.map((c) => c.ir) })), problems)

  const tableIRs: TableIR[] = tables
    .map((table): TableIR => ({
      name: table.def.name,
      typeName: table.def.options.singular !== undefined ? pascalCase(table.def.options.singular) : typeNameOf(table.def.name),
      isUsers: table.def.users,
      columns: table.columns.map((c) => c.ir),
      primaryKey: 'id',
      indexes: buildIndexes(table, problems),
      relations: relations.get(table.def.name) ?? [],
      search: buildSearch(table, problems),
      renamedFrom: table.def.options.renamedFrom ?? null,
      ...(privacy.has(table.def.name) ? { privacy: privacy.get(table.def.name)! } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name))

  checkTypeNames(tableIRs, problems)
  checkGraphqlNames(tableIRs, problems)
  return {
    version: PROJECT_IR_VERSION,
    name: config.name,
    tables: tableIRs,
    policies: [],
    roles: buildRoles(config.roles, problems),
    auth: buildAuth(config.auth, problems),
    ...buildHandlerIRs(config, new Set(tableIRs.map((t) => t.name)), problems, root),
    ...(config.email === undefined ? {} : { email: buildEmail(config.email, problems) }),
    // Absent unless configured, so model.json of a project without it is unchanged.
    ...(config.graphql !== undefined ? { graphql: { ...config.graphql } } : {}),
    ...(config.embeddings === undefined ? {} : { embeddings: buildEmbeddings(config.embeddings, problems) }),
    ...buildComplianceIRs(config, problems),
    ...buildProtectionIRs(config, ['admin', ...config.roles], problems),
    ...(config.secrets === undefined ? {} : { secrets: buildSecrets(config.secrets, problems) }),
    ...(config.backups === undefined ? {} : { backups: buildBackups(config.backups, Object.keys(config.storage ?? {}), problems) }),
  }
}

/** `backups`: its schedule checked as a job's cron is, its bucket one of the app's. */
function buildBackups(def: NonNullable<ValidConfigDef['backups']>, buckets: readonly string[], problems: Problems): BackupsIR {
  checkCron(def.schedule, def.timezone, 'backups', problems)
  if (def.to !== undefined && !buckets.includes(def.to)) {
    problems.add('KL_DEF_INVALID', `backups.to "${def.to}" is not a bucket of this app.`, problems.atConfig('backups.to'), `Declare it: storage: { ${def.to}: bucket({ maxSize: '10GB' }) } (no access rule: only the service key reads it).`)
  }
  return { schedule: def.schedule.trim(), timezone: def.timezone ?? null, keep: def.keep ?? null, to: def.to ?? null }
}

/** `http`, `environments` and the `env(…)` declarations, each absent unless there are some. */
function buildProtectionIRs(config: ValidConfigDef, roles: readonly string[], problems: Problems): Pick<ProjectIR, 'http' | 'environments' | 'env'> {
  const environments = config.environments === undefined ? {} : buildEnvironments(config.environments, roles, problems)
  const env = buildEnv(config, problems)
  return {
    ...(env.length > 0 ? { env } : {}),
    ...(config.http !== undefined ? { http: buildHttp(config.http, roles, problems, 'http') } : {}),
    ...(Object.keys(environments).length > 0 ? { environments } : {}),
  }
}

function buildEmail(email: NonNullable<ValidConfigDef['email']>, problems: Problems): EmailIR {
  if (typeof email.apiKey === 'string') {
    problems.add('KL_DEF_INVALID', 'email.apiKey is written inline; a secret in koyalite.ts would be copied into generated/ and version control.', problems.atConfig('email.apiKey'), "Read it from the environment: env('RESEND_API_KEY').")
  }
  return {
    from: email.from,
    provider: 'resend',
    apiKey: email.apiKey === undefined || typeof email.apiKey === 'string' ? null : { env: email.apiKey.name },
    retry: buildRetry(email.retry, 'email', problems),
    ...emailTemplatesOf(email.templates, problems),
  }
}

function collectTables(config: ValidConfigDef, problems: Problems): TableInProgress[] {
  const seen = new Set<unknown>()
  const byName = new Map<string, TableInProgress>()
  const occurrences = new Map<string, number>()
  for (const [exportName, value] of Object.entries(config.tables)) {
    if (seen.has(value)) continue // the same table exported under two names
    seen.add(value)
    const parsed = tableDefSchema.safeParse(value)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.addShapeIssue('KL_DEF_INVALID', `Table export "${exportName}" is not a valid table: ${describeIssue(issue)}.`, atTableIssue(value, issuePath(issue), problems))
      }
      const name = (value as { name?: unknown } | null)?.name
      if (typeof name === 'string') problems.brokenTables.add(name)
      continue
    }
    const def = value as TableDef
    const occurrence = occurrences.get(def.name) ?? 0
    occurrences.set(def.name, occurrence + 1)
    const at = problems.atTable(def.name, occurrence)
    if (byName.has(def.name)) {
      const first = problems.atTable(def.name, 0)
      problems.add('KL_DEF_DUPLICATE_TABLE', `Table "${def.name}" is declared twice (first at ${first.file}:${first.line}:${first.column}).`, at)
      continue
    }
    // The reserved prefix first: `_koya_x` also fails the pattern, but "reserved" is the real reason.
    if (reservedPrefixOf(def.name)) {
      problems.add('KL_DEF_RESERVED_NAME', `Table name "${def.name}" starts with the reserved prefix "${reservedPrefixOf(def.name)}".`, at)
    } else if (!TABLE_NAME_PATTERN.test(def.name) || def.name.length > MAX_NAME_LENGTH) {
      problems.add('KL_DEF_INVALID_NAME', `Table name "${def.name}" is not a lower-case identifier.`, at)
    }
    if ((RESERVED_TABLE_NAMES as readonly string[]).includes(def.name)) {
      problems.add('KL_DEF_RESERVED_NAME', `Table name "${def.name}" is reserved: the generated SDK has a \`${def.name}\` namespace of its own.`, at, `Rename the table (e.g. "${def.name}_items"); reserved: ${RESERVED_TABLE_NAMES.join(', ')}.`)
    }
    if (def.name === 'users' && !def.users) {
      problems.add('KL_DEF_USERS_TABLE', 'A table named "users" must be declared with table.users({ ... }), which adds the auth columns.', at)
    }
    byName.set(def.name, { def, columns: [] })
  }
  return [...byName.values()]
}

/**
 * Where a problem in a table's definition object was written: the column or option the issue's
 * path names, else the table, else the config's `tables`.
 */
function atTableIssue(value: unknown, path: readonly string[], problems: Problems): SourceLocation {
  const name = (value as { name?: unknown } | null)?.name
  if (typeof name !== 'string' || problems.table(name) === undefined) return problems.atConfig('tables')
  const [area, key, ...rest] = path
  if (area === 'columns' && key !== undefined) {
    // columns.<name>.def.ref.onDelet → the ref option; other column fields → the column.
    return problems.atColumn(name, key, rest[0] === 'def' && rest[1] === 'ref' ? ['ref', ...rest.slice(2, 3)].join('.') : undefined)
  }
  if (area === 'options' && key !== undefined) return problems.table(name)?.options.get(key) ?? problems.atTable(name)
  return problems.atTable(name)
}

/**
 * Each table's generated names (`Task`, `TaskInsert`, `TaskUpdate`, `TasksTable`) must be its own:
 * neither another table's nor one the generated SDK declares itself.
 */
function checkTypeNames(tables: readonly TableIR[], problems: Problems): void {
  const owner = new Map<string, string>()
  for (const table of tables) {
    const sdkName = [table.typeName, `${table.typeName}Insert`, `${table.typeName}Update`].find((name) => SDK_TYPE_NAMES.includes(name))
    if (sdkName !== undefined) {
      problems.add('KL_DEF_RESERVED_NAME', `Table "${table.name}" would generate the type "${sdkName}", which the generated SDK declares itself.`, problems.atTable(table.name), `Rename the table (e.g. "${table.name}_items"); to keep its rows, pass { renamedFrom: '${table.name}' } in the new table's options.`)
    }
    for (const name of [table.typeName, `${table.typeName}Insert`, `${table.typeName}Update`, `${pascalCase(table.name)}Table`]) {
      const other = owner.get(name)
      if (other !== undefined && other !== table.name) {
        problems.add('KL_DEF_TYPE_NAME', `Tables "${other}" and "${table.name}" would both generate the type "${name}".`, problems.atTable(table.name))
        break
      }
      owner.set(name, table.name)
    }
  }
}

/** The GraphQL schema declares each type once: a table whose names another table (or the schema) takes is refused. */
function checkGraphqlNames(tables: readonly TableIR[], problems: Problems): void {
  for (const clash of graphqlNameClashes(tables)) {
    // What checkTypeNames reports (two tables with one type name clash on every name derived from
    // it; a table's row, insert or update type taking another's) is reported once, there.
    const owners = tables.filter((t) => clash.owners.includes(t.name))
    const rowTypeClaims = owners.filter((t) => [t.typeName, `${t.typeName}Insert`, `${t.typeName}Update`].includes(clash.name))
    if (new Set(owners.map((t) => t.typeName)).size < owners.length || rowTypeClaims.length > 1) continue
    const table = clash.owners.find((owner) => owner !== 'the GraphQL schema')!
    problems.add('KL_DEF_TYPE_NAME', `The GraphQL type "${clash.name}" would be declared by ${clash.owners.map((o) => (o === 'the GraphQL schema' ? o : `table "${o}"`)).join(' and ')}.`, problems.atTable(table), `Rename a table, or give it another type name with { singular: '…' } in its options.`)
  }
}

function checkUsersTable(table: TableInProgress, problems: Problems): void {
  if (!table.def.users) return
  const core = tableBuilder.users({}).columns as Record<string, { def: unknown }>
  for (const name of USERS_CORE_COLUMNS) {
    if (JSON.stringify(table.def.columns[name]?.def) !== JSON.stringify(core[name]?.def)) {
      problems.add('KL_DEF_USERS_TABLE', `table.users() cannot override its core column "${name}".`, problems.atColumn('users', name))
    }
  }
}

function checkTableRenames(tables: readonly TableInProgress[], problems: Problems): void {
  const names = new Set(tables.map((t) => t.def.name))
  const claims = new Map<string, string>()
  for (const { def, columns } of tables) {
    const from = def.options.renamedFrom
    if (from !== undefined) {
      const at = problems.table(def.name)?.options.get('renamedFrom') ?? problems.atTable(def.name)
      if (names.has(from)) problems.add('KL_DEF_RENAME', `Table "${def.name}" is renamed from "${from}", but a table "${from}" still exists.`, at)
      else if (claims.has(from)) problems.add('KL_DEF_RENAME', `Tables "${claims.get(from)}" and "${def.name}" are both renamed from "${from}".`, at)
      claims.set(from, def.name)
    }
    const columnNames = new Set(columns.map((c) => c.ir.name))
    const columnClaims = new Map<string, string>()
    for (const column of columns) {
      const old = column.ir.renamedFrom
      if (old === null) continue
      const at = problems.atColumn(def.name, column.ir.name, 'renamedFrom')
      if (columnNames.has(old)) problems.add('KL_DEF_RENAME', `Column "${column.ir.name}" on table "${def.name}" is renamed from "${old}", which is still a column.`, at)
      else if (columnClaims.has(old)) problems.add('KL_DEF_RENAME', `Columns "${columnClaims.get(old)}" and "${column.ir.name}" on table "${def.name}" are both renamed from "${old}".`, at)
      columnClaims.set(old, column.ir.name)
    }
  }
}

/**
 * Indexes: declared in options, on a column (`.index()`, `.unique()`), and one per foreign key
 * column that does not already lead an index (SQLite does not index foreign keys by itself, and
 * cascades and relation lookups scan without one).
 */
function buildIndexes(table: TableInProgress, problems: Problems): IndexIR[] {
  const name = table.def.name
  const columnNames = new Set(table.columns.map((c) => c.ir.name))
  const indexes: IndexIR[] = []
  const add = (columns: readonly string[], unique: boolean, origin: IndexIR['origin'], at: ReturnType<Problems['atTable']>): void => {
    const indexName = `${name}_${columns.join('_')}_${unique ? 'key' : 'idx'}`
    const same = indexes.find((i) => i.columns.join() === columns.join() && i.unique === unique)
    if (same) {
      problems.add('KL_DEF_DUPLICATE_INDEX', `Table "${name}" declares the ${unique ? 'unique ' : ''}index on (${columns.join(', ')}) twice.`, at)
      return
    }
    indexes.push({ name: indexName, columns: [...columns], unique, origin })
  }

  for (const column of table.columns) {
    const at = problems.atColumn(name, column.ir.name)
    if (column.ir.unique && column.ir.name !== 'id') add([column.ir.name], true, 'column', at)
    if (column.index) add([column.ir.name], false, 'column', at)
  }
  for (const [position, entry] of (table.def.options.indexes ?? []).entries()) {
    const at = problems.table(name)?.indexes[position] ?? problems.atTable(name)
    const columns = Array.isArray(entry) ? (entry as readonly string[]) : (entry as { columns: readonly string[] }).columns
    const unique = !Array.isArray(entry) && (entry as { unique?: boolean }).unique === true
    const atColumn = (column: string) => problems.table(name)?.indexColumns.get(`${position}:${column}`) ?? at
    const unknown = columns.filter((c) => !columnNames.has(c))
    if (unknown.length > 0) {
      problems.add('KL_DEF_UNKNOWN_COLUMN', `An index on table "${name}" names ${unknown.map((c) => `"${c}"`).join(', ')}, not a column of the table.`, atColumn(unknown[0]!))
      continue
    }
    const repeated = columns.find((c, i) => columns.indexOf(c) !== i)
    if (repeated !== undefined) {
      problems.add('KL_DEF_DUPLICATE_INDEX', `An index on table "${name}" lists the column "${repeated}" twice.`, atColumn(repeated))
      continue
    }
    add(columns, unique, 'table', at)
  }
  for (const column of table.columns) {
    if (column.ir.references && !isIndexLeader(column.ir, indexes)) {
      indexes.push({ name: `${name}_${column.ir.name}_idx`, columns: [column.ir.name], unique: false, origin: 'foreignKey' })
    }
  }
  return indexes.sort((a, b) => a.name.localeCompare(b.name))
}

function buildSearch(table: TableInProgress, problems: Problems): TableIR['search'] {
  const search = table.def.options.search
  if (!search) return null
  const name = table.def.name
  const byName = new Map(table.columns.map((c) => [c.ir.name, c.ir]))
  const check = (kind: 'text' | 'semantic', fields: readonly string[] = []): string[] => {
    for (const field of fields) {
      const at = problems.table(name)?.search.get(`${kind}:${field}`) ?? problems.atTable(name)
      const column = byName.get(field)
      if (!column) problems.add('KL_DEF_UNKNOWN_COLUMN', `search.${kind} on table "${name}" names "${field}", not a column of the table.`, at)
      else if (!TEXT_SEARCHABLE.has(column.type)) problems.add('KL_DEF_INVALID', `search.${kind} on table "${name}" names "${field}", a ${column.type} column; only text columns can be searched.`, at, 'List text columns only.')
    }
    return [...fields]
  }
  const text = check('text', search.text)
  const weights: Readonly<Record<string, number | undefined>> = search.weights ?? {}
  for (const field of Object.keys(weights)) {
    if (!text.includes(field)) problems.add('KL_DEF_INVALID', `search.weights on table "${name}" names "${field}", which is not in search.text.`, problems.atTable(name), 'Give weights only to columns listed in search.text.')
  }
  return { text, semantic: check('semantic', search.semantic), tokenizer: search.tokenizer ?? 'unicode61', weights: text.map((field) => weights[field] ?? 1) }
}

function buildRoles(roles: readonly string[], problems: Problems): string[] {
  const result = new Set<string>(['admin'])
  const declared = new Set<string>()
  for (const role of roles) {
    const at = problems.atConfig(`roles:${role}`)
    if (!ROLE_NAME_PATTERN.test(role) || role.length > MAX_NAME_LENGTH) problems.add('KL_DEF_ROLE', `Role "${role}" is not a lower-case name.`, at)
    else if (declared.has(role)) problems.add('KL_DEF_ROLE', `Role "${role}" is declared twice.`, at)
    declared.add(role)
    result.add(role)
  }
  return [...result].sort()
}

function buildAuth(auth: AuthDef | undefined, problems: Problems): AuthIR {
  const email = auth?.email ?? true
  const setting = (value: string | { readonly name: string }, secret: boolean, path: string): SettingIR => {
    if (typeof value !== 'string') return { env: value.name }
    if (secret) {
      problems.add('KL_DEF_INVALID', `auth.${path} is written inline; a secret in koyalite.ts would be copied into generated/ and version control.`, problems.atConfig(`auth.${path}`), `Read it from the environment: env('${path.split('.')[1]?.toUpperCase()}_CLIENT_SECRET').`)
    }
    return { value }
  }
  const provider = (name: 'github' | 'google'): OAuthProviderIR | null => {
    const def = auth?.oauth?.[name]
    if (!def) return null
    return { clientId: setting(def.clientId, false, `oauth.${name}.clientId`), clientSecret: setting(def.clientSecret, true, `oauth.${name}.clientSecret`) }
  }
  const idle = parseDuration(auth?.session?.idleTimeout ?? DEFAULT_IDLE_TIMEOUT)
  const absolute = parseDuration(auth?.session?.absoluteTimeout ?? DEFAULT_ABSOLUTE_TIMEOUT)
  if (idle > absolute) {
    problems.add('KL_DEF_INVALID', `auth.session.idleTimeout (${auth?.session?.idleTimeout ?? DEFAULT_IDLE_TIMEOUT}) is longer than absoluteTimeout (${auth?.session?.absoluteTimeout ?? DEFAULT_ABSOLUTE_TIMEOUT}).`, problems.atConfig(auth?.session?.idleTimeout === undefined ? 'auth.session.absoluteTimeout' : 'auth.session.idleTimeout'), 'Make the idle timeout shorter than the absolute one.')
  }
  const publicUrl = auth?.publicUrl === undefined ? null : setting(auth.publicUrl, false, 'publicUrl')
  if (publicUrl !== null && 'value' in publicUrl && !isHttpUrl(publicUrl.value)) {
    problems.add('KL_DEF_INVALID', `auth.publicUrl "${publicUrl.value}" is not an absolute http(s) URL.`, problems.atConfig('auth.publicUrl'), "Write the URL people open, e.g. 'https://tasks.example.com', or env('KOYA_PUBLIC_URL').")
  }
  const trustedOrigins = (auth?.trustedOrigins ?? []).filter((origin, i) => {
    if (isOrigin(origin)) return true
    problems.add('KL_DEF_INVALID', `auth.trustedOrigins[${i}] "${origin}" is not an origin.`, problems.atConfig('auth.trustedOrigins'), "Write scheme, host and port only, e.g. 'https://app.example.com' (no path, no trailing slash).")
    return false
  })
  const redirects = (auth?.redirects ?? []).filter((url, i) => {
    if (isHttpUrl(url) && new URL(url).search === '' && new URL(url).hash === '' && !url.includes('@')) return true
    problems.add('KL_DEF_INVALID', `auth.redirects[${i}] "${url}" is not an absolute http(s) URL without query, fragment or credentials.`, problems.atConfig('auth.redirects'), "Write the address a sign-in may return to, e.g. 'https://app.example.com/after-login'.")
    return false
  })
  return {
    email: { enabled: email !== false, verify: typeof email === 'object' ? email.verify === true : false },
    oauth: { github: provider('github'), google: provider('google') },
    session: { idleTimeoutSeconds: idle, absoluteTimeoutSeconds: absolute },
    // Written only when configured, so model.json of apps that leave the default is unchanged.
    ...(auth?.password?.minLength === undefined ? {} : { password: { minLength: auth.password.minLength } }),
    publicUrl,
    trustedOrigins: [...new Set(trustedOrigins)].sort(),
    redirects: [...new Set(redirects)].sort(),
  }
}

function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol)
}

/** `https://app.example.com` or `http://localhost:5173`: what a browser sends as Origin. */
function isOrigin(text: string): boolean {
  return isHttpUrl(text) && new URL(text).origin === text
}

function buildEmbeddings(embeddings: NonNullable<ValidConfigDef['embeddings']>, problems: Problems): EmbeddingsIR {
  if (typeof embeddings.apiKey === 'string') {
    problems.add('KL_DEF_INVALID', 'embeddings.apiKey is written inline; a secret in koyalite.ts would be copied into generated/ and version control.', problems.atConfig('embeddings.apiKey'), "Read it from the environment: env('OPENAI_API_KEY').")
  }
  if (embeddings.provider === 'openai-compatible' && embeddings.url === undefined) {
    problems.add('KL_DEF_INVALID', 'embeddings.url is missing: an openai-compatible provider needs its base URL.', problems.atConfig('embeddings'), "Give the URL up to /v1, e.g. url: 'https://api.openai.com/v1'.")
  }
  const url = embeddings.url === undefined ? null : typeof embeddings.url === 'string' ? { value: embeddings.url } : { env: embeddings.url.name }
  return {
    provider: embeddings.provider,
    url,
    model: embeddings.model,
    apiKey: embeddings.apiKey === undefined || typeof embeddings.apiKey === 'string' ? null : { env: embeddings.apiKey.name },
    dimensions: embeddings.dimensions,
    batchSize: embeddings.batchSize ?? 64,
  }
}
