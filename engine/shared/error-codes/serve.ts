import type { ErrorCodeInfo } from '../error-codes.ts'

/** Codes the server answers with: the HTTP surface, search, auth. Part of the one registry (../error-codes.ts). */
export const SERVE_ERROR_CODES = {
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
  KL_API_FUNCTION_FAILED: {
    description: 'An edge function threw, crashed, returned something that is not a Response (or, when typed, an output that does not match its `output` schema).',
    solution: 'Read its invocation log (`GET /admin/functions/<name>/invocations`): the error and its captured stderr are there.',
  },
  KL_API_FUNCTION_TIMEOUT: {
    description: 'An edge function ran past its wall-clock `timeout` or its CPU-time limit; its worker was killed and replaced.',
    solution: 'Make the function finish sooner, or raise `fn({ timeout })` (the CPU limit is KOYA_FUNCTIONS_CPU_LIMIT).',
  },
  KL_API_FUNCTION_MEMORY: {
    description: 'An edge function ran out of its memory limit (the V8 heap cap of `fn({ memory })`); its worker was killed and replaced.',
    solution: 'Use less memory per call (stream, or process less at once), or raise `fn({ memory })`.',
  },
  KL_API_FUNCTION_UNAVAILABLE: {
    description: 'No Deno worker could serve the function: Deno is not installed, a worker failed to start or to load the function, or too many calls are waiting.',
    solution: 'Check the server log; install the `deno` npm package (or set KOYA_DENO_PATH) and check that the function loads (`koyalite functions deploy`).',
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
    solution: 'Use mode=text (or auto), or configure `embeddings` in koyalite.ts (docs/search.md) and list the table\'s `search.semantic` columns, then run `koyalite generate` and `koyalite migrate up`.',
  },
  KL_SEARCH_NOT_SEMANTIC: {
    description: 'Semantic or hybrid search was asked of a table without `search.semantic` columns (or without its vector index).',
    solution: 'Use mode=text, or declare the columns in `search: { semantic: [...] }` on the table and run `koyalite generate` and `koyalite migrate up`.',
  },
  KL_SEARCH_EMBEDDING_FAILED: {
    description: 'The embedding provider could not embed a search query or rows (unreachable, a 4xx or 5xx answer, or vectors of the wrong length).',
    solution: 'Check `embeddings` in koyalite.ts (url, model, dimensions) and its API key in the environment; rows are retried by the queue (GET /admin/jobs?kind=search:embed), a query can be sent again.',
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
  // ── STORAGE: the S3 driver and thumbnails (issue 13) ─────────────────────────────────────────
  KL_STORAGE_S3_SETTINGS: {
    description: 'The S3 storage driver is selected but its settings are missing or malformed.',
    solution: 'Set KOYA_S3_ENDPOINT, KOYA_S3_ACCESS_KEY_ID and KOYA_S3_SECRET_ACCESS_KEY (and optionally KOYA_S3_REGION, KOYA_S3_BUCKET, KOYA_S3_FORCE_PATH_STYLE=true|false); see docs/storage-s3.md.',
  },
  KL_STORAGE_S3_UNREACHABLE: {
    description: 'The S3 server did not answer: the connection was refused, timed out or was cut.',
    solution: 'Check that the S3 server (SeaweedFS in the Docker stack) runs and that KOYA_S3_ENDPOINT points at it from the API container.',
  },
  KL_STORAGE_S3_ACCESS_DENIED: {
    description: 'The S3 server refused the request: the access key is unknown, the signature does not match the secret, or the key may not use the bucket.',
    solution: 'Check KOYA_S3_ACCESS_KEY_ID and KOYA_S3_SECRET_ACCESS_KEY against the S3 server\'s credentials, and that the key may read and write KOYA_S3_BUCKET.',
  },
  KL_STORAGE_S3_NO_BUCKET: {
    description: 'The S3 bucket the storage driver uses (KOYA_S3_BUCKET) does not exist on the server.',
    solution: 'Create the bucket, or let KoyaLite create it at boot (it does when the key may create buckets), or fix KOYA_S3_BUCKET.',
  },
  KL_STORAGE_S3_INVALID_RANGE: {
    description: 'A byte range was asked of an object that lies outside it.',
    solution: 'Ask for a range within the object\'s size (`Range: bytes=0-` reads it from the start).',
  },
  KL_STORAGE_S3_UPLOAD_ABORTED: {
    description: 'An upload to S3 stopped before its body ended (the client went away or the stream failed); the multipart upload was aborted and nothing was stored.',
    solution: 'Upload the file again; for large files over unreliable connections use a resumable upload.',
  },
  KL_STORAGE_S3_PRESIGN: {
    description: 'A presigned direct upload was asked for with an expiry or a maximum size out of bounds.',
    solution: 'Ask for an expiry of 1 second to 7 days and a whole, non-negative maximum size in bytes.',
  },
  KL_STORAGE_S3_FAILED: {
    description: 'The S3 server answered a storage request with an error KoyaLite has no more specific code for.',
    solution: 'The server logs name the S3 error (details.s3Error); check the S3 server\'s health and logs, then retry.',
  },
  KL_STORAGE_THUMBNAIL_INVALID: {
    description: 'The thumbnail query of a download (`width`, `height`, `fit`, `format`) is malformed or out of bounds.',
    solution: 'Give `width` and/or `height` as whole numbers within the limits, `fit` as cover, contain or inside, and `format` as webp, avif, jpeg or png.',
  },
  KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED: {
    description: 'The thumbnail size asked for is not one of the sizes the bucket allows.',
    solution: 'Ask for one of the sizes named in the hint, or add the size to the bucket\'s thumbnail sizes in koyalite.ts.',
  },
  KL_STORAGE_THUMBNAIL_NOT_IMAGE: {
    description: 'A thumbnail was asked of an object that is not a raster image KoyaLite can decode (JPEG, PNG, WebP, AVIF, GIF, TIFF, HEIF), or whose bytes are damaged.',
    solution: 'Download the object without thumbnail parameters, or ask thumbnails only of images.',
  },
  KL_STORAGE_THUMBNAIL_TOO_LARGE: {
    description: 'The image is larger (in bytes or pixels) than thumbnails are made of.',
    solution: 'Download the original without thumbnail parameters, or upload a smaller image.',
  },
  KL_AUTH_SETUP_REFUSED: {
    description: 'Studio\'s first-run setup was refused: the setup token is wrong or was used, or an admin already exists.',
    solution: 'Open the setup link the server printed at start (a new one is printed at each start while no admin exists); once an admin exists, sign in at /_/ and grant roles from there.',
  },
  KL_API_SQL_ERROR: {
    description: 'SQLite refused the SQL console\'s statement (a syntax error, an unknown table or column, or more than one statement).',
    solution: 'Fix the statement; the message is SQLite\'s own. The console runs one statement at a time.',
  },
  KL_API_SQL_WRITE_REFUSED: {
    description: 'The SQL console refused a write: writes run only under `koyalite dev`, confirmed; elsewhere the console\'s connection is read-only.',
    solution: 'Change data through the API (or Studio\'s data browser), or run the statement under `koyalite dev` with write mode confirmed.',
  },
  KL_API_SQL_TIMEOUT: {
    description: 'The SQL console\'s statement ran past its time limit and was stopped.',
    solution: 'Add a WHERE clause that an index serves, or a LIMIT; check the plan with EXPLAIN QUERY PLAN.',
  },
  KL_API_STUDIO_EDIT_NOT_FOUND: {
    description: 'A Studio schema or policy edit (under `koyalite dev`) names a table, column or policy that the project\'s code does not declare where Studio looks (a `table(…)` call in koyalite.ts or schema/, a `policies(…)` call in policies/).',
    solution: 'Check the name, or make the edit in your editor: the dev loop picks it up the same way.',
  },
  KL_API_STUDIO_EDIT_INVALID: {
    description: 'A Studio schema or policy edit was refused: the name is taken, or the compiler refused the edited project. The files were restored as they were.',
    solution: 'Read the compiler\'s errors in the message (file:line:column), fix the edit and try again.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
