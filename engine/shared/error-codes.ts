/**
 * The registry of error codes: `KL_<FAMILY>_<REASON>`, each with what it means and how to solve
 * it. `docs/errors.md` is printed from it (errors.ts, printErrorsDoc; a test keeps the two in
 * step). A code, once published, keeps its meaning; a retired code is marked `retired` and never
 * reused.
 */

export interface ErrorCodeInfo {
  /** What the problem is, in one sentence. */
  readonly description: string
  /** How to solve it: the default hint when the thrower gives none. */
  readonly solution: string
  /** Set when the code is no longer emitted. Retired codes are never reused. */
  readonly retired?: true
}

export const errorCodes = {
  // ── DEF: the application definition (koyalite.ts, schema/) ─────────────────────────────────
  KL_DEF_CONFIG_NOT_FOUND: {
    description: 'The configuration file (koyalite.ts by default) does not exist.',
    solution: 'Run the command from the project root, pass --config <file>, or create one with `koyalite init`.',
  },
  KL_DEF_SYNTAX: {
    description: 'A file of the definition has a syntax error, so it cannot be loaded.',
    solution: 'Fix the syntax at the reported location; the other checks run once the file parses.',
  },
  KL_DEF_TYPE_ERROR: {
    description: 'TypeScript reported a type error in the definition.',
    solution: 'Fix the type error at the reported location; the message is TypeScript\'s own.',
  },
  KL_DEF_LOAD_FAILED: {
    description: 'Importing the configuration module threw an error.',
    solution: 'Fix the error at the reported location: code at the top level of koyalite.ts and schema/ runs when `koyalite generate` loads the definition.',
  },
  KL_DEF_NO_CONFIG_EXPORT: {
    description: 'The configuration module has no default export made by defineConfig().',
    solution: 'End koyalite.ts with `export default defineConfig({ ... })`, importing defineConfig from \'koyalite\'.',
  },
  KL_DEF_INVALID: {
    description: 'A definition object has an unknown key or a value of the wrong shape.',
    solution: 'Compare the object with the documented options; unknown keys are rejected so typos do not pass silently.',
  },
  KL_DEF_INVALID_NAME: {
    description: 'A table, column, relation or role name is not a valid identifier.',
    solution: 'Use letters, digits and underscores, starting with a letter (tables: lower case, e.g. `tasks`; columns: camelCase, e.g. `dueAt`).',
  },
  KL_DEF_RESERVED_NAME: {
    description: 'A name uses a prefix or word that KoyaLite or SQLite reserves.',
    solution: 'Rename it: names starting with `_koya_` or `sqlite_` belong to the system.',
  },
  KL_DEF_TYPE_NAME: {
    description: 'Two tables would generate the same type name (`tasks` and `task` both give `Task`; `task_inserts` gives `TaskInsert`).',
    solution: 'Rename one of the tables.',
  },
  KL_DEF_DUPLICATE_TABLE: {
    description: 'Two tables have the same name.',
    solution: 'Rename one of them; for a rename of an existing table pass `{ renamedFrom: \'old\' }` in its options.',
  },
  KL_DEF_UNKNOWN_REF_TABLE: {
    description: 'A column references a table that is not passed to defineConfig().',
    solution: 'Export the referenced table from the module passed as `tables`, or fix the table name in t.ref(\'name\').',
  },
  KL_DEF_REF_NAME: {
    description: 'A relation derived from a ref collides with a column of the same table.',
    solution: 'A ref named `xId` gives the relation `x`; rename the column or the ref so the two names differ.',
  },
  KL_DEF_AMBIGUOUS_INVERSE: {
    description: 'Two refs would give the referenced table two has-many relations of the same name.',
    solution: 'Name the inverse relation of one of them: `t.ref(() => users, { inverse: \'assignedTasks\' })`.',
  },
  KL_DEF_ENUM_VALUES: {
    description: 'An enum column has no values, a duplicate value or a value that is not a non-empty string.',
    solution: 'List each allowed value once: `t.enum([\'todo\', \'doing\', \'done\'])`.',
  },
  KL_DEF_ENUM_DEFAULT: {
    description: 'The default of an enum column is not one of its values.',
    solution: 'Use one of the listed values as the default, or add the value to the enum.',
  },
  KL_DEF_DEFAULT_TYPE: {
    description: 'A column default does not fit the column (wrong type, or outside its min/max).',
    solution: 'Give a default of the column\'s type that passes its own constraints.',
  },
  KL_DEF_MIN_MAX: {
    description: 'A min/max constraint is used on a column type without one, or min is greater than max.',
    solution: 'Use min/max on text (length), int and real (value) columns only, with min <= max.',
  },
  KL_DEF_UNKNOWN_COLUMN: {
    description: 'An index, search field or option names a column the table does not have.',
    solution: 'Use one of the table\'s column names (the keys of its column object).',
  },
  KL_DEF_DUPLICATE_INDEX: {
    description: 'The same index is declared twice on a table.',
    solution: 'Remove one of the two declarations (a column with .index() already has an index).',
  },
  KL_DEF_USERS_TABLE: {
    description: 'The users table is misdeclared: declared twice, named `users` without table.users(), or overriding a core column.',
    solution: 'Declare it once with `table.users({ ...extraColumns })`; id, email, emailVerified, createdAt and updatedAt are added for you.',
  },
  KL_DEF_RENAME: {
    description: 'A renamedFrom() names a column or table that still exists, or two definitions claim the same old name.',
    solution: '`renamedFrom(\'old\')` is for an old name that no longer exists in the definition; remove the clash.',
  },
  KL_DEF_ROLE: {
    description: 'A role is declared twice or has an invalid name.',
    solution: 'Declare each role once, as a lower-case identifier; `admin` always exists and need not be listed.',
  },
  KL_DEF_CRON: {
    description: 'A job\'s cron expression or time zone is not valid.',
    solution: 'Write a cron expression of 5 fields (or 6, seconds first), e.g. `0 8 * * *` for 08:00 daily, and an IANA time zone such as `Europe/Paris`.',
  },
  KL_DEF_UNKNOWN_TABLE: {
    description: 'A webhook (or another option) names a table that is not defined.',
    solution: 'Name one of the tables passed to defineConfig({ tables }), by its table name.',
  },
  KL_DEF_FUNCTION_FILE: {
    description: 'A function\'s file does not exist, lies outside the project, or is not a TypeScript or JavaScript file.',
    solution: 'Give `fn({ file })` a path relative to the project root, such as `functions/checkout.ts`, of a file that exists.',
  },
  KL_DEF_BUNDLE: {
    description: 'Bundling the code of jobs, webhooks or functions into generated/ failed (a syntax error, or an import that does not resolve).',
    solution: 'Fix the file and line named; a package import must be installed in the project\'s node_modules.',
  },
  KL_DEF_GENERATED_STALE: {
    description: '`koyalite generate --check` found generated/ out of date with the definition.',
    solution: 'Run `koyalite generate` and commit the result.',
  },

  // ── POLICY: row-level-security policies (policies/) ─────────────────────────────────────────
  KL_POLICY_UNSUPPORTED: {
    description: 'A policy uses a form the policy compiler cannot turn into SQL (a method call, an outer variable, a block body, arithmetic, `==`, a template literal, …), or a rule that was not written inline.',
    solution: 'Rewrite the predicate with the supported forms: `=== !== < <= > >=`, `&& || !`, `?:`, literals, `x === null`, `auth.userId`, `auth.roles.includes(\'role\')`, `[\'a\', \'b\'].includes(row.col)`, a bool column, belongs-to traversal and `.some()`/`.every()` over has-many relations.',
  },
  KL_POLICY_NOT_INLINE: {
    description: 'The rules given to policies() are not written inline as object literals of arrow functions, so the compiler cannot read them.',
    solution: 'Write the rules inline: `policies(schema, { tasks: { read: (task, auth) => … } })`; split large rule sets over several files instead of sharing variables.',
  },
  KL_POLICY_UNKNOWN_TABLE: {
    description: 'A policies() rule is keyed by a name that is not a table of the schema.',
    solution: 'Key the rules by a table name (the first argument of `table(\'name\', …)`), and pass that table to defineConfig({ tables }).',
  },
  KL_POLICY_UNKNOWN_COLUMN: {
    description: 'A policy reads a column or relation that the row does not have.',
    solution: 'Use one of the table\'s columns, a belongs-to relation (a ref `xId` gives `x`) or a has-many relation.',
  },
  KL_POLICY_UNKNOWN_ROLE: {
    description: 'A policy tests `auth.roles.includes(\'x\')` with a role that is not declared.',
    solution: 'Declare the role in defineConfig({ roles: [...] }) or fix its spelling; `admin` always exists.',
  },
  KL_POLICY_DUPLICATE: {
    description: 'The same operation of the same table has a rule in more than one place.',
    solution: 'Keep one rule per table and operation; combine the conditions with `||` or `&&`.',
  },
  KL_POLICY_UNUSED: {
    description: 'A policies() call in the definition\'s files is not among the policies passed to defineConfig(), so its rules would silently not apply.',
    solution: 'Pass its result to defineConfig({ policies }) (an array may hold several), or delete it.',
  },
  KL_POLICY_UNINDEXED: {
    description: 'A policy filters or joins on a column without an index, so every check scans the table (a warning).',
    solution: 'Add the index the hint names to the table\'s options: `indexes: [[\'column\']]`.',
  },

  // ── MIG: migrations ──────────────────────────────────────────────────────────────────────────
  KL_MIG_AMBIGUOUS_RENAME: {
    description: 'A column or table disappeared while another of the same shape appeared: it could be a rename or a drop and an add.',
    solution: 'Write `.renamedFrom(\'old\')` on the new column (or `{ renamedFrom: \'old\' }` on the table) to rename; pass --allow-data-loss to drop the old one.',
  },
  KL_MIG_DESTRUCTIVE: {
    description: 'The change would drop or narrow data (drop a table or column, change a type, make a column required, tighten a constraint).',
    solution: 'Review the change, back up the database, then run `koyalite generate --allow-data-loss`.',
  },
  KL_MIG_NEEDS_DEFAULT: {
    description: 'A required column is added to an existing table without a default, so existing rows would have no value.',
    solution: 'Give the column a `.default(...)`, or make it `.optional()`.',
  },
  KL_MIG_TAMPERED: {
    description: 'A migration that was already applied has changed on disk (its checksum differs).',
    solution: 'Restore the applied migration from version control; put new changes in a new migration with `koyalite generate`.',
  },
  KL_MIG_MISSING: {
    description: 'The database records an applied migration that is not on disk.',
    solution: 'Restore the missing file from version control, or use the database that belongs to this checkout.',
  },
  KL_MIG_FAILED: {
    description: 'A migration failed while applying; its transaction was rolled back.',
    solution: 'Read the SQLite message in the cause; existing data that violates a new constraint must be fixed first.',
  },
  KL_MIG_FOREIGN_KEY: {
    description: 'After a migration, rows violate foreign keys; the migration was rolled back.',
    solution: 'Fix or delete the rows that reference missing parents (listed in the message), then migrate again.',
  },
  KL_MIG_NOTHING_TO_UNDO: {
    description: '`migrate down` found no applied migration to undo.',
    solution: 'Nothing to do; `koyalite migrate status` lists what is applied.',
  },
  KL_MIG_SNAPSHOT: {
    description: 'A migration snapshot in generated/migrations/meta is missing or unreadable.',
    solution: 'Restore generated/migrations from version control; never edit generated files by hand.',
  },

  // ── API: the served HTTP surface ───────────────────────────────────────────────────────────
  KL_API_BAD_REQUEST: {
    description: 'The request is malformed: its body, headers or parameters cannot be read.',
    solution: 'Check the request against the API reference at /docs.',
  },
  KL_API_UNAUTHORIZED: {
    description: 'The request carries no credentials that may use this endpoint.',
    solution: 'Send `Authorization: Bearer <token>`: a session token, or the service key (KOYA_SERVICE_KEY) for server-side code.',
  },
  KL_API_POLICY_DENIED: {
    description: 'An access policy refused the operation: the table has no policy for it, or the rows do not satisfy it. Nothing was written.',
    solution: 'Act on rows the policy named in the message admits (see generated/access.md), sign in as a user it admits, or use the service key from server-side code.',
  },
  KL_API_RESULT_NOT_READABLE: {
    description: 'The write succeeded and stays committed, but the read policy does not let the caller read the written rows back (`Prefer: return=representation`).',
    solution: 'Do not retry the write: it happened. Send it without `Prefer: return=representation`, or change the read policy so the writer can read what it writes.',
  },
  KL_API_UNKNOWN_COLUMN: {
    description: 'The request names a column the table does not have (in select, a filter, order, on_conflict, columns or the body).',
    solution: 'Use the column names of the table, as listed in the hint and at /docs.',
  },
  KL_API_UNKNOWN_RELATION: {
    description: '`select` embeds a relation the table does not have.',
    solution: 'Embed one of the table\'s relations (a ref named `xId` gives `x`; the referenced table gets one named after this table).',
  },
  KL_API_VALIDATION: {
    description: 'The request body does not match the table\'s schema (a type, a required column, an enum value, a length or an unknown field).',
    solution: 'Fix the fields named in the message; the schemas are at /openapi.json and /docs.',
  },
  KL_API_FILTER_REQUIRED: {
    description: 'A PATCH or DELETE on a whole table came without a filter.',
    solution: 'Add a filter (e.g. `?id=eq.…` or `?status=eq.done`), or use /api/<table>/<id> for one row.',
  },
  KL_API_CONFLICT: {
    description: 'The write would break a unique constraint: a row with the same value already exists.',
    solution: 'Use another value, update the existing row, or upsert with `Prefer: resolution=merge-duplicates`.',
  },
  KL_API_CONSTRAINT: {
    description: 'The write breaks a constraint of the table: a reference to a row that does not exist, a row still referenced, or a value check.',
    solution: 'Make references point at existing rows, delete or move dependent rows first, and keep values within their limits.',
  },
  KL_API_MAINTENANCE: {
    description: 'The app is in maintenance mode (for a migration or a restore): writes are refused, reads go on.',
    solution: 'Retry later (`Retry-After` says when to try). An operator ends it with `koyalite maintenance off` or `POST /admin/maintenance`.',
  },
  KL_API_NOT_ACCEPTABLE: {
    description: 'A single object was asked for (`Accept: application/vnd.pgrst.object+json`) but the result has another number of rows.',
    solution: 'Narrow the filter to exactly one row, or accept an array.',
  },
  KL_API_PAYLOAD_TOO_LARGE: {
    description: 'The request body is larger than the server accepts.',
    solution: 'Send fewer rows per request (bulk inserts of up to 1000 rows), or smaller values.',
  },
  KL_API_RATE_LIMITED: {
    description: 'Too many requests came from this address in a short time, and the gateway in front of the API refused this one.',
    solution: 'Slow down and retry after a short pause; the limits per path are listed in docs/deploy.md.',
  },
  KL_API_UNAVAILABLE: {
    description: 'The gateway in front of the API could not reach it: the API is starting, restarting or down.',
    solution: 'Retry in a few seconds; if it persists, check the API container (its logs and health check).',
  },
  KL_API_HEADERS_TOO_LARGE: {
    description: 'The request line or headers are larger than the server reads (16 KiB in all), so the request was not read.',
    solution: 'Send long filters or lists in fewer, shorter requests (split an `in.(…)` list), or move data into a request body.',
  },
  KL_API_REQUEST_TIMEOUT: {
    description: 'The client did not send the whole request in time, so the server closed the connection.',
    solution: 'Send the request at once; a proxy in front of the server should not hold requests back.',
  },
  KL_API_NOT_FOUND: {
    description: 'No route or row matches the request.',
    solution: 'Check the path; rows you may not read answer exactly like missing rows.',
  },
  KL_API_BAD_FILTER: {
    description: 'A filter parameter or an or/and tree cannot be read: an unknown operator, a missing value, an unbalanced parenthesis or a malformed column path.',
    solution: 'Write `column=operator.value` with eq, neq, gt, gte, lt, lte, like, ilike, in or is (e.g. `status=eq.todo`, `status=not.in.(done,archived)`, `body=is.null`) and `or=(a.eq.1,b.gt.2)` for alternatives; double-quote a value inside `in.(…)` or `or=(…)` that contains `,` `(` or `)`.',
  },
  KL_API_BAD_SELECT: {
    description: 'The select parameter cannot be read.',
    solution: 'List columns and embeds separated by commas, e.g. `select=id,title,project(name)`; rename with `alias:column`, choose the join with `relation!inner(…)` and the relationship with `relation!hint(…)`.',
  },
  KL_API_BAD_ORDER: {
    description: 'An order parameter cannot be read, or is given twice for the same level.',
    solution: 'Write `order=column`, `order=column.desc` or `order=column.asc.nullslast`, several terms separated by commas in one parameter.',
  },
  KL_API_BAD_PAGINATION: {
    description: 'A limit or offset parameter is not a whole number of zero or more, or is given twice.',
    solution: 'Pass digits only, once each, e.g. `limit=20&offset=40`.',
  },
  KL_API_BAD_COLUMN_LIST: {
    description: 'An on_conflict or columns parameter is not a comma-separated list of column names.',
    solution: 'Write `on_conflict=email` or `columns=title,status`; double-quote a name to use it exactly as written.',
  },
  KL_API_UNSUPPORTED_SYNTAX: {
    description: 'The query uses PostgREST syntax that KoyaLite does not serve: array, range or regex operators, any/all quantifiers, JSON paths, spread embeds, aggregates, or ordering by an embedded column.',
    solution: 'Rewrite the query with the supported grammar (eq, neq, gt, gte, lt, lte, like, ilike, in, is, fts, plfts, phfts, wfts; or/and trees; embeds with aliases, hints and !inner); use /search/<table> for ranked full-text search.',
  },
  KL_API_LIMIT_EXCEEDED: {
    description: 'The request goes past a server limit: too many filter conditions, embeds nested too deep, an in-list or parameter too long, or a limit above the largest page.',
    solution: 'Simplify the request or page through the rows; the message names the limit and its maximum.',
  },
  KL_API_REALTIME_BAD_MESSAGE: {
    description: 'A realtime client sent a message the /realtime protocol does not take: not JSON, an unknown type, a missing or malformed field, or an unknown subscription id.',
    solution: 'Send the messages docs/realtime.md lists (subscribe, unsubscribe, auth, join, part, broadcast, ping); the generated SDK speaks the protocol for you.',
  },
  KL_API_REALTIME_TOO_MANY: {
    description: 'A realtime connection asked for more subscriptions or channels than the server allows one connection.',
    solution: 'Unsubscribe from what the client no longer needs, or raise `realtime.maxSubscriptionsPerConnection` / `maxChannelsPerConnection` in the server options.',
  },
  KL_API_REALTIME_VIEW_TOO_LARGE: {
    description: 'A realtime subscription would track more rows than the server keeps per view: it must know which rows each view admits to tell a leave from an update.',
    solution: 'Narrow the subscription with a filter (a project, a status), or raise `realtime.maxViewRows` in the server options.',
  },
  KL_API_REALTIME_SLOW_CONSUMER: {
    description: 'The server cut off a realtime connection that did not read its messages fast enough: more than `realtime.maxBufferedBytes` waited to be sent.',
    solution: 'Read messages faster, or subscribe to fewer rows. Reconnect with the last event id to receive what was missed (the SDK does both).',
  },
  KL_API_REALTIME_SESSION_ENDED: {
    description: 'The session a realtime connection was opened with ended (logout, expiry, revocation), so the server closed the connection.',
    solution: 'Sign in again and reconnect; the SDK reconnects with the new token.',
  },
  KL_API_REALTIME_CHANNEL_DENIED: {
    description: 'The channel policy refused to let this caller join, or broadcast on, a realtime channel (by default only signed-in users may).',
    solution: 'Sign in, or allow the caller in the server option `realtime.channels.authorize(actor, channel, action)`.',
  },
  KL_API_GRAPHQL_INVALID: {
    description: 'The GraphQL request does not parse, does not validate against the schema, or names no operation to run.',
    solution: 'Check the query against generated/graphql/schema.graphql (GraphiQL at /graphiql in `koyalite dev` completes it); the message is graphql-js\'s own.',
  },
  KL_API_GRAPHQL_DEPTH: {
    description: 'The GraphQL query nests fields deeper than the server allows (default 10 levels).',
    solution: 'Ask for fewer nested relations in one query, or raise `graphql: { maxDepth }` in koyalite.ts.',
  },
  KL_API_GRAPHQL_ALIASES: {
    description: 'The GraphQL query uses more aliases than the server allows (default 30).',
    solution: 'Split the query into several, or raise `graphql: { maxAliases }` in koyalite.ts.',
  },
  KL_API_GRAPHQL_COST: {
    description: 'The GraphQL query\'s estimated cost (each field counted once per row the lists above it may return) is above the server\'s budget (default 50000).',
    solution: 'Give lists smaller `limit`s, especially nested has-many relations, or raise `graphql: { maxCost }` in koyalite.ts.',
  },
  KL_API_GRAPHQL_BATCH: {
    description: 'A batched GraphQL request (a JSON array of queries) holds more queries than the server runs at once (default 10).',
    solution: 'Send fewer queries per batch, or raise `graphql: { maxBatch }` in koyalite.ts.',
  },
  KL_API_GRAPHQL_INTROSPECTION: {
    description: 'Introspection (`__schema`, `__type`) is off: the server runs with NODE_ENV=production and the app does not allow it.',
    solution: 'Use generated/graphql/schema.graphql, or set `graphql: { introspection: true }` in koyalite.ts.',
  },
  KL_API_GRAPHQL_PERSISTED_QUERY: {
    description: 'A persisted query was sent by hash alone and the server does not know it, or persisted queries are off.',
    solution: 'Send the query text with its hash once (automatic persisted queries), or enable `graphql: { persistedQueries: true }`.',
  },

  // ── SEARCH: /search/<table> and the full-text filters ──────────────────────────────────────
  KL_SEARCH_SYNTAX: {
    description: 'A search query is malformed (an unclosed quote or parenthesis, an operator with nothing on one side); the message gives the position.',
    solution: 'Write words, "quoted phrases", prefix* terms, AND / OR / NOT (upper case) and -excluded words, with balanced quotes and parentheses; quote a word to search for it literally.',
  },
  KL_SEARCH_EMPTY: {
    description: 'A search query has no word to look for (it is empty, or only excludes words).',
    solution: 'Give at least one word or phrase to find, e.g. `q=report -draft`.',
  },
  KL_SEARCH_TOO_LONG: {
    description: 'A search query is longer, or has more terms, than the server accepts.',
    solution: 'Shorten the query (at most 1000 characters and 64 terms).',
  },
  KL_SEARCH_NOT_SEARCHABLE: {
    description: 'The table, or the column a full-text filter names, has no full-text index.',
    solution: 'Declare the columns in the table\'s `search: { text: [...] }` option and run `koyalite generate` and `koyalite migrate up`.',
  },
  KL_SEARCH_NOT_CONFIGURED: {
    description: 'The search mode asked for (semantic or hybrid) is not configured on this server.',
    solution: 'Use mode=text (or auto); semantic and hybrid search need an embeddings provider, which this version does not serve yet.',
  },
  // ── AUTH: sessions, passwords, roles, impersonation ─────────────────────────────────────────
  KL_AUTH_REQUIRED: {
    description: 'The endpoint needs a signed-in user, and the request has no valid session (none sent, an empty or unknown bearer token, expired or revoked).',
    solution: 'Sign in with POST /auth/login and send the session token as `Authorization: Bearer <token>` or in the session cookie.',
  },
  KL_AUTH_INVALID_CREDENTIALS: {
    description: 'The email and password do not match an account.',
    solution: 'Check the email and password; after several failures wait, or reset the password with POST /auth/password/forgot.',
  },
  KL_AUTH_EMAIL_TAKEN: {
    description: 'Sign-up was asked for an email address that already has an account. Only apps without email verification answer this: with `auth.email.verify`, sign-up answers alike for every address.',
    solution: 'Sign in instead, or reset the password with POST /auth/password/forgot.',
  },
  KL_AUTH_WEAK_PASSWORD: {
    description: 'The password does not meet the rules: at least 10 and at most 256 characters.',
    solution: 'Choose a longer password; a passphrase of several words is easy to remember.',
  },
  KL_AUTH_INVALID_TOKEN: {
    description: 'A verification or password-reset token is unknown, already used or expired.',
    solution: 'Ask for a new email (POST /auth/verify-email/resend or POST /auth/password/forgot) and use its link once, before it expires.',
  },
  KL_AUTH_RATE_LIMITED: {
    description: 'Too many sign-up, login or password-reset attempts came from this address, for this account from this address, or for this account from everywhere.',
    solution: 'Wait the number of seconds in the Retry-After header, then try again.',
  },
  KL_AUTH_CSRF: {
    description: 'A write authenticated by the session cookie came without an Origin header, or from an origin the app does not trust.',
    solution: 'Send writes from the app\'s public URL or an origin listed in auth.trustedOrigins (KOYA_TRUSTED_ORIGINS), or authenticate with `Authorization: Bearer <token>` instead of the cookie.',
  },
  KL_AUTH_FORBIDDEN: {
    description: 'The signed-in user lacks the role the endpoint needs (the admin API needs `admin` or the service key).',
    solution: 'Ask an admin to grant the role (POST /admin/users/<id>/roles), or call the endpoint with the service key from server-side code.',
  },
  KL_AUTH_UNKNOWN_ROLE: {
    description: 'A role grant names a role that defineConfig({ roles }) does not declare.',
    solution: 'Grant one of the declared roles, or declare the role in koyalite.ts and run `koyalite generate`.',
  },
  KL_AUTH_USER_NOT_FOUND: {
    description: 'The user an admin or impersonation request names does not exist.',
    solution: 'Check the user id (GET /api/users as an admin or with the service key).',
  },
  KL_AUTH_IMPERSONATION: {
    description: 'The impersonation request is not allowed: only an admin\'s own session may impersonate, never another admin or itself, and an impersonation session cannot change credentials or start another impersonation.',
    solution: 'Sign in as an admin, give a reason, pick a user without the admin role; end the impersonation with POST /auth/impersonate/stop.',
  },
  KL_AUTH_CONFIG: {
    description: 'An auth setting resolved at start is invalid (for example the public URL is not an http(s) URL).',
    solution: 'Fix auth.publicUrl (or KOYA_PUBLIC_URL) and auth.trustedOrigins (or KOYA_TRUSTED_ORIGINS): absolute http(s) URLs.',
  },
  KL_AUTH_OAUTH_UNKNOWN_PROVIDER: {
    description: 'An OAuth route names a provider KoyaLite does not sign in with (it knows `github` and `google`).',
    solution: 'Use /auth/oauth/github or /auth/oauth/google.',
  },
  KL_AUTH_OAUTH_NOT_CONFIGURED: {
    description: 'Sign-in with this OAuth provider is not set up for the app: koyalite.ts does not configure it, or its client id or secret is missing from the environment at start.',
    solution: 'Add the provider to auth.oauth in koyalite.ts with env() settings, set those variables where the server runs and restart it (the start log names a missing variable).',
  },
  KL_AUTH_OAUTH_STATE: {
    description: 'The OAuth callback\'s state does not match the one this browser started with (the state cookie is missing, expired or different), so the callback may be forged.',
    solution: 'Start the sign-in again from /auth/oauth/<provider> in the same browser and finish it within ten minutes.',
  },
  KL_AUTH_OAUTH_DENIED: {
    description: 'The OAuth provider sent the user back with an error instead of a code (for example the user declined to authorize the app).',
    solution: 'Start the sign-in again and authorize the app at the provider.',
  },
  KL_AUTH_OAUTH_CODE_REJECTED: {
    description: 'The OAuth provider refused to exchange the authorization code (the code is unknown, used or expired, or the PKCE verifier does not match).',
    solution: 'Start the sign-in again from /auth/oauth/<provider>; a code works once, in the browser that started the flow.',
  },
  KL_AUTH_OAUTH_PROVIDER_ERROR: {
    description: 'The OAuth provider could not be reached, or answered the token or profile request with something unexpected.',
    solution: 'Try again later; if it persists, check the provider\'s status and that the server can reach it.',
  },
  KL_AUTH_OAUTH_NO_EMAIL: {
    description: 'The OAuth provider gave no email address for the user, and an account needs one.',
    solution: 'Add an email address to the account at the provider (GitHub: Settings → Emails), then sign in again.',
  },
  KL_AUTH_OAUTH_EMAIL_UNVERIFIED: {
    description: 'The OAuth provider has not verified the user\'s email address, so no account is created from it or linked to it (whoever holds the provider account may not own the address).',
    solution: 'Verify the address at the provider (GitHub: Settings → Emails), then sign in again; or sign up (or sign in) with the email address and a password.',
  },
  KL_AUTH_OAUTH_LINK_REFUSED: {
    description: 'An account with the provider\'s email address exists but has not verified it, so the OAuth sign-in is not linked to it (whoever created that account may not own the address).',
    solution: 'Verify the existing account\'s email (or reset its password with POST /auth/password/forgot, which proves ownership), then sign in with the provider again.',
  },
  KL_AUTH_OAUTH_SIGNUP_INCOMPLETE: {
    description: 'A new account cannot be created from the OAuth profile: the users table has a required column the profile does not fill.',
    solution: 'Give the column a default or make it `.optional()` in schema/users.ts; OAuth sign-up fills only email, emailVerified and a `name` or `displayName` text column.',
  },
  KL_AUTH_REDIRECT_NOT_ALLOWED: {
    description: 'The `redirectTo` of a sign-in is not on the app\'s public URL origin nor in auth.redirects, so following it could send the user to another site.',
    solution: 'Redirect to a path of the app (`/dashboard`), or add the address to auth.redirects in koyalite.ts.',
  },

  // ── BACKUP: koyalite backup and restore ─────────────────────────────────────────────────────
  KL_BACKUP_WRITE_FAILED: {
    description: 'The snapshot or its archive could not be written (no space, no permission, a directory in the way).',
    solution: 'Free space or choose another place with --out or --dir; the live database is untouched.',
  },
  KL_BACKUP_NOT_FOUND: {
    description: 'The backup file given to restore does not exist.',
    solution: 'Check the path; `koyalite backup` prints where it wrote each archive (data/backups by default).',
  },
  KL_BACKUP_CORRUPT: {
    description: 'The backup is not one KoyaLite can trust: not a readable archive, no manifest, a database that does not match its manifest\'s SHA-256, or one that fails its integrity check.',
    solution: 'Restore another backup; nothing was changed.',
  },
  KL_BACKUP_SCHEMA_NEWER: {
    description: 'The backup has migrations the project does not have: it was made by a newer version of the app.',
    solution: 'Restore it with the version of the app that made it (check out its generated/migrations), then upgrade.',
  },
  KL_BACKUP_TARGET_EXISTS: {
    description: 'The database to restore into exists, and restore replaces a database only when asked to.',
    solution: 'Pass --force (the current file is kept beside it as <file>.pre-restore-<instant>), or restore to another file with --db.',
  },
  KL_BACKUP_LIVE: {
    description: 'Another process has the database open: it is not replaced under a running server.',
    solution: 'Stop the server or `koyalite dev` that uses it, then restore again.',
  },

  // ── JOB: the queue, jobs, cron and email delivery ────────────────────────────────────────────
  KL_JOB_UNKNOWN_KIND: {
    description: 'A job was enqueued (or claimed) under a kind no feature registered: a job removed from koyalite.ts, or a typo in `ctx.enqueue`.',
    solution: 'Enqueue one of the jobs in defineConfig({ jobs }); runs of a removed job fail here and stay dead in the queue (retry them after restoring the job).',
  },
  KL_JOB_TIMEOUT: {
    description: 'A job run took longer than its `timeout`: its `ctx.signal` was aborted and the attempt counts as failed.',
    solution: 'Pass `ctx.signal` to fetch and long loops so the work stops, make the work smaller, or raise `timeout` in job({ … }).',
  },
  KL_JOB_CANCELLED: {
    description: 'A job run was cancelled (POST /admin/jobs/runs/:id/cancel): its `ctx.signal` was aborted and it is not retried.',
    solution: 'Nothing to fix: retry the run (POST /admin/jobs/runs/:id/retry) to run it again.',
  },
  KL_JOB_LEASE_EXPIRED: {
    description: 'A running job\'s lease expired: the process running it died (or stalled past its lease), so the attempt counts as failed and the run is retried.',
    solution: 'Nothing to fix when a process crashed. A process that stalls its event loop longer than the lease (KOYA_JOBS_LEASE, default 30s) should move the blocking work off the event loop.',
  },
  KL_JOB_NOT_FINISHED: {
    description: 'A run that is still pending or running cannot be retried.',
    solution: 'Wait until it is done, dead or cancelled, or cancel it first.',
  },
  KL_JOB_INVALID: {
    description: 'Enqueue options are out of range (a negative delay, a non-JSON payload, a group limit under 1).',
    solution: 'Give a JSON-serializable payload, durations such as \'500ms\' or \'10s\', and limits of at least 1.',
  },
  KL_JOB_EMAIL_REJECTED: {
    description: 'The email provider refused a message for good (a 4xx answer other than 429: a bad address, an unverified sender); it is not retried.',
    solution: 'Read the provider\'s message in the run\'s lastError (GET /admin/jobs/runs?name=email&status=dead), fix the address or the `email.from` sender, then retry the run.',
  },
  KL_JOB_EMAIL_FAILED: {
    description: 'The email provider could not take a message now (429, 5xx or no answer); the send is retried with backoff, with the same idempotency key.',
    solution: 'Usually nothing: the queue retries. If every attempt fails, check the provider\'s status and the API key (email.apiKey).',
  },
  KL_JOB_WEBHOOK_FAILED: {
    description: 'A webhook delivery attempt failed: the receiver answered other than 2xx (a 3xx too: redirects are not followed), did not answer within 15 s, or could not be reached. It is retried on the webhook\'s schedule, never sooner than its Retry-After.',
    solution: 'Read the attempt in GET /admin/webhooks/deliveries (status, answer, error). Make the receiver answer 2xx quickly and do its work afterwards.',
  },
  KL_JOB_WEBHOOK_GONE: {
    description: 'A webhook receiver answered 410 Gone: the endpoint is disabled and its deliveries are dead until it is enabled again.',
    solution: 'Point the webhook at a live receiver, then replay a delivery (POST /admin/webhooks/deliveries/:id/replay), which enables the endpoint.',
  },
  KL_JOB_WEBHOOK_DISABLED: {
    description: 'A webhook endpoint is disabled (it answered 410, or every attempt failed for KOYA_WEBHOOK_DISABLE_AFTER, default 5 days; an audit-log entry `webhook.disabled` says when): its deliveries are dead at once.',
    solution: 'Fix the receiver, then replay a delivery (POST /admin/webhooks/deliveries/:id/replay): that enables the endpoint again.',
  },
  KL_JOB_WEBHOOK_BLOCKED: {
    description: 'A webhook destination resolves to a loopback, private, link-local or cloud-metadata address, which webhooks may not reach (SSRF guard, checked when connecting).',
    solution: 'Use a public URL, or, for a receiver meant to be internal, add its host to KOYA_WEBHOOK_ALLOW_HOSTS (comma-separated) and replay the delivery.',
  },
  KL_JOB_WEBHOOK_CONFIG: {
    description: 'A webhook cannot be delivered as configured: its URL or secret variable is unset or malformed (a secret is `whsec_` and 24 to 64 bytes in base64), or a setting is not a duration or number.',
    solution: 'Set the variable the message names (e.g. KOYA_WEBHOOK_<NAME>_SECRET) and restart.',
  },

  // ── CLI: command-line usage ──────────────────────────────────────────────────────────────────
  KL_CLI_USAGE: {
    description: 'The command line has an unknown command, an unknown flag or a missing value.',
    solution: 'Run `koyalite --help` or `koyalite <command> --help`.',
  },
  KL_CLI_INIT_NOT_EMPTY: {
    description: '`koyalite init` was pointed at a directory that is not empty.',
    solution: 'Choose a new or empty directory.',
  },

  KL_CLI_DATABASE: {
    description: 'The SQLite database file cannot be opened (a missing directory that cannot be created, a directory in its place, no permission, or not a database).',
    solution: 'Pass another file with --db (or KOYA_DB), or fix the permissions of the one named.',
  },
  KL_CLI_PORT_IN_USE: {
    description: 'The server cannot listen: the port is taken or the address is not this machine\'s.',
    solution: 'Stop the other process, or choose another port with --port (or PORT); --port 0 picks a free one.',
  },

  // ── CLIENT: raised by the generated SDK in the caller's process ─────────────────────────────
  KL_CLIENT_NETWORK: {
    description: 'The SDK could not reach the server (or the runtime has no fetch); the error\'s status is 0.',
    solution: 'Check the `url` given to createClient and that the server is running.',
  },
  KL_CLIENT_BAD_RESPONSE: {
    description: 'The server answered with something a KoyaLite server does not send (not JSON, or a count without a total).',
    solution: 'Check that the `url` given to createClient points at a KoyaLite server, not a proxy\'s error page.',
  },

  // ── INT: internal ────────────────────────────────────────────────────────────────────────────
  KL_INT_UNEXPECTED: {
    description: 'Something failed inside KoyaLite that should not have.',
    solution: 'This is a bug: report it with the command you ran and the log line that carries the request id or stack.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
