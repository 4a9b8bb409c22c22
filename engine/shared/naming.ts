/** Names: what is a valid identifier, what is reserved, and how type names are derived. */

/** Table names: lower case identifiers, as they appear in URLs (`/api/tasks`). */
export const TABLE_NAME_PATTERN = /^[a-z][a-z0-9_]*$/
/** Column, relation and role names: identifiers (camelCase by convention). */
export const IDENTIFIER_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/
export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/
/** Identifiers longer than this are refused: they end up in URLs, SQL and type names. */
export const MAX_NAME_LENGTH = 63

/** Prefixes owned by the system: KoyaLite's own tables, and SQLite's. */
export const RESERVED_PREFIXES = ['_koya_', 'sqlite_'] as const

/** Table names the generated SDK uses for its own namespaces (`koya.auth`, `koya.admin`, `koya.storage`, …). */
export const RESERVED_TABLE_NAMES = ['auth', 'admin', 'storage', 'functions', 'search', 'realtime', 'channel'] as const

/**
 * The type-like names the generated SDK declares itself (generated/sdk/index.ts is one module),
 * which a table's `Row`, `RowInsert` or `RowUpdate` type cannot take: the compiler refuses such a
 * table where it is written. test/sdk/emit.test.ts keeps this list equal to what the SDK declares.
 */
export const SDK_TYPE_NAMES: readonly string[] = [
  'ALWAYS', 'AdminClient', 'AuthAuditEntry', 'AuthAuditFilter', 'AuthClient', 'AuthImpersonation',
  'AuthLoginResult', 'AuthOAuthProvider', 'AuthRole', 'AuthRoleGrants', 'AuthSession',
  'AuthSessionInfo', 'AuthSignupInput', 'AuthSignupResult', 'AuthUser', 'CaughtEmail',
  'CaughtEmailFilter', 'ClientOptions', 'ColumnFilter', 'Columns', 'ConsentState', 'ErasureReport', 'FetchLike', 'FetchResponse',
  'FilterNode', 'FilterOperand', 'Include', 'IncludeManyOptions', 'IncludeOf', 'IncludeOneOptions',
  'IncludeOptions', 'Included', 'InsertOf', 'JobName', 'JobPayloads', 'JobRun', 'JobRunFilter', 'JsonValue', 'KnownRelations',
  'KoyaClient', 'KoyaClientError', 'KoyaErrorCode', 'KoyaRequest', 'KoyaResponse', 'KoyaTransport',
  'ListOptions', 'LooseListOptions', 'LooseObject', 'LooseReadOptions', 'MetaDescription', 'MetaPolicy',
  'MetaProject', 'NEVER', 'Operators', 'PrivacyExport',
  'OrderBy', 'OrderTerms', 'Picked', 'QueryParam', 'QueryResult', 'ReadOptions', 'Related',
  'RelationsOf', 'RowOf', 'SelectOf', 'SortOrder', 'TableClient', 'TableName', 'Tables', 'TargetOf',
  'TokenSlot', 'UpdateOf', 'Where',
  'ChangeEvent', 'ChangeOperation', 'ChannelEvent', 'LooseChannel', 'LooseSubscription', 'PresenceMember',
  'RealtimeChannel', 'RealtimeClient', 'RealtimeConnection', 'SubscribeOptions', 'WebSocketFactory', 'WebSocketLike',
  'SearchMode', 'SearchOptions', 'SearchResult', 'SearchableTable',
  'ApiMonitor', 'CliCommandRun', 'EffectiveConfig', 'LogEntry', 'LogPage', 'Performance',
  'AdminUser', 'AdminUserFilter',
]

/** Column names the REST query grammar uses as parameters, so a column cannot take them. */
export const RESERVED_COLUMN_NAMES = ['select', 'order', 'limit', 'offset', 'or', 'and', 'not', 'on_conflict', 'columns'] as const

export function reservedPrefixOf(name: string): string | undefined {
  const lower = name.toLowerCase()
  return RESERVED_PREFIXES.find((prefix) => lower.startsWith(prefix))
}

/** `tasks` → `Task`, `categories` → `Category`, `work_items` → `WorkItem`. */
export function typeNameOf(tableName: string): string {
  return pascalCase(singular(tableName))
}

export function pascalCase(name: string): string {
  return name
    .split(/[_\-\s]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')
}

/** A small, predictable singularizer: enough for table names, never clever. */
export function singular(word: string): string {
  const rules: readonly [RegExp, string][] = [
    [/ies$/, 'y'],
    [/(ss|sh|ch|x|z)es$/, '$1'],
    [/([^s])s$/, '$1'],
  ]
  for (const [pattern, replacement] of rules) {
    if (pattern.test(word)) return word.replace(pattern, replacement)
  }
  return word
}

/** The relation a ref column gives: `projectId` → `project`; other names give none. */
export function relationNameOf(columnName: string): string | undefined {
  const match = /^(.+?)Id$/.exec(columnName)
  return match ? match[1] : undefined
}

/**
 * A camelCase name as an environment variable's part.
 *
 * @example
 * upperSnake('taskDone') // 'TASK_DONE'
 */
export function upperSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}
