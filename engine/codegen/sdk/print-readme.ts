import type { ProjectIR, RelationIR, TableIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { banner } from '../../shared/generated-file.ts'
import { oauthProvidersOf, usersTableOf } from '../../ir/routes/auth-routes.ts'
import { openApiPath } from '../../ir/routes/route-contract.ts'
import { routeGroupsOf } from '../route-groups.ts'
import { sdkNamespacesOf, signatureOf } from './print-namespaces.ts'
import { exampleCalls, exampleParent, exampleTable, sortedRelations } from './examples.ts'
import { CLIENT_ERROR_CODES } from './print-error-codes.ts'

/**
 * The import the README and index.ts show: the file itself, extension included. Node resolves
 * no folder (`./generated/sdk` fails with ERR_UNSUPPORTED_DIR_IMPORT) and adds no extension;
 * Deno, Bun and bundlers take the same line.
 */
export const SDK_IMPORT_LINE = "import { createClient, KoyaClientError } from './generated/sdk/index.ts'"

/** generated/sdk/README.md: how to use the client, with examples written in the app's own tables. */
export function printReadme(ir: ProjectIR, source: string, packageName: string): string {
  const example = exampleTable(ir.tables)
  const typeName = example?.typeName ?? 'Row'
  return [
    `<!-- ${banner(source).slice(3).trimEnd()} -->`,
    `# ${ir.name} SDK`,
    '',
    `The typed client of the ${ir.name} API: one TypeScript file, \`index.ts\`, with no dependencies. It`,
    'needs only `fetch`, so it runs in browsers, Node and Deno.',
    '',
    `Every type comes from \`${source}\`: run \`koyalite generate\` after changing it, and never edit`,
    'these files.',
    '',
    '## Use',
    '',
    'Import `index.ts` by its path, extension included. The same line works in Node 22.18 or later with',
    'no tool at all (the file is erasable TypeScript, and Node strips the types of files outside',
    'node_modules), in Deno and Bun as it is, and through a bundler (Vite, esbuild, webpack, Rollup) for',
    'the browser. Node imports no folder: `./generated/sdk` alone fails there.',
    '',
    '```ts',
    SDK_IMPORT_LINE,
    '',
    "const koya = createClient({ url: 'http://127.0.0.1:3000', token })",
    ...(example ? ['', ...exampleCalls(example), '', 'try {', `  await koya.${example.name}.get(id)`, '} catch (error) {', '  if (error instanceof KoyaClientError) console.error(error.code, error.status, error.message, error.hint)', '}'] : []),
    '```',
    '',
    'The path is relative to the importing file. Type-checking takes TypeScript 5.0 or later; an import',
    'ending in `.ts` needs `allowImportingTsExtensions` (a project that does not emit, as with a bundler)',
    'or `rewriteRelativeImportExtensions` (TypeScript 5.7 or later, when tsc emits JavaScript).',
    '',
    `As a package: \`npm install ./generated/sdk\` adds \`${packageName}\` to your dependencies, and`,
    `\`import { createClient } from '${packageName}'\` works in each place above. npm links the folder, so`,
    'Node still reads the file from outside node_modules; a copy of the package inside node_modules',
    'works with bundlers and Deno, but Node does not strip types there.',
    '',
    '| option | what |',
    '| --- | --- |',
    '| `url` | The server. A path prefix (a proxy) is kept. |',
    '| `token` | Sent as `Authorization: Bearer <token>`: a session token, or the service key in server-side code only. A function is called before every request. |',
    '| `fetch` | The fetch to use; the global one by default. |',
    '| `headers` | Sent with every request. |',
    '',
    '## Tables',
    '',
    '| property | row type | relations (what `include` can fetch) |',
    '| --- | --- | --- |',
    ...ir.tables.map((t) => `| \`koya.${t.name}\` | \`${t.typeName}\` | ${t.relations.length === 0 ? '' : sortedRelations(t).map(describeRelation).join(', ')} |`),
    '',
    `Each row type has an insert type (\`${typeName}Insert\`: the columns a create takes, the optional ones`,
    `with a \`?\`) and an update type (\`${typeName}Update\`: any writable column). Columns the system sets`,
    '(`id`, `createdAt`, `updatedAt`) are in the row type only.',
    '',
    '## Methods',
    '',
    '| method | returns | request |',
    '| --- | --- | --- |',
    '| `list({ where, orderBy, limit, offset, select, include })` | the rows | `GET /api/<table>?…` |',
    '| `get(id, { select, include })` | the row | `GET /api/<table>/<id>` |',
    '| `count()`, `count({ where })` or `count(where)` | how many rows match | `GET /api/<table>?…&limit=0`, `Prefer: count=exact` |',
    '| `create(row, { select, include })` | the row | `POST /api/<table>` |',
    '| `create([row, …], { select, include })` | the rows, in order, written in one transaction | `POST /api/<table>` |',
    '| `update(id, patch, { select, include })` | the row | `PATCH /api/<table>/<id>` |',
    '| `updateMany(where, patch, { select, include })` | the changed rows | `PATCH /api/<table>?…` |',
    '| `delete(id)` | nothing | `DELETE /api/<table>/<id>` |',
    '| `deleteMany(where)` | how many rows were deleted | `DELETE /api/<table>?…` |',
    '| `deleteMany(where, { returning: true, select, include })` | the deleted rows | `DELETE /api/<table>?…` |',
    '',
    'Every option is optional. Writes return the rows as the server stored them, with their ids and',
    'defaults (asking with `Prefer: return=representation` where the API needs it). `updateMany` and',
    '`deleteMany` need a `where` that filters: an empty one is refused with `KL_API_FILTER_REQUIRED`, so a',
    'whole table is never changed by accident.',
    '',
    '**A missing row.** `get`, `update` and `delete` of an id that does not exist throw a',
    '`KoyaClientError` with code `KL_API_NOT_FOUND` and status 404; they never return `null`, so the',
    'result type is the row itself. A row you may not read answers exactly like a missing one. Where',
    'absence is expected, catch it:',
    '',
    '```ts',
    'const row = await koya.' + (example?.name ?? 'tasks') + '.get(id).catch((error) => {',
    "  if (error instanceof KoyaClientError && error.code === 'KL_API_NOT_FOUND') return null",
    '  throw error',
    '})',
    '```',
    '',
    '## Queries',
    '',
    '### where',
    '',
    'Each column takes a value or an object of operators; everything in one object holds together.',
    '',
    '| write | matches | sent as |',
    '| --- | --- | --- |',
    "| `{ col: 'a' }`, `{ col: { eq: 'a' } }` | equal | `col=eq.a` |",
    "| `{ col: { neq: 'a' } }` | not equal | `col=neq.a` |",
    '| `{ col: { gt: 1, lte: 5 } }` | `gt`, `gte`, `lt`, `lte`: greater, less (text and ISO dates compare as text) | `col=gt.1&col=lte.5` |',
    "| `{ col: { in: ['a', 'b,c'] } }` | one of (an empty list matches nothing) | `col=in.(a,\"b,c\")` |",
    "| `{ col: { like: '*Word*' } }` | a pattern, case-sensitive: `*` or `%` any run of characters, `_` one | `col=like.*Word*` |",
    "| `{ col: { ilike: '*word*' } }` | the same, ignoring case | `col=ilike.*word*` |",
    '| `{ col: null }`, `{ col: { is: null } }` | null (nullable columns) | `col=is.null` |',
    '| `{ col: { is: true } }` | true or false (boolean columns) | `col=is.true` |',
    '| `{ or: [w1, w2] }` | at least one holds | `or=(…)` |',
    '| `{ and: [w1, w2] }` | all hold | |',
    '| `{ not: w }` | does not hold | `col=not.eq.a`, `not.and=(…)` |',
    '',
    'A column left `undefined` adds no condition. Values inside `in` lists and `or` groups that contain',
    '`,` `(` `)` `"` or `\\` are double-quoted the way PostgREST reads them, so any text round-trips.',
    'json columns can only be tested for `null`. Conditions on related rows go in `include`.',
    '',
    '### orderBy, limit, offset',
    '',
    "`orderBy: { col: 'asc', other: 'desc' }` sorts by the columns in the order written (or pass an array",
    "of such objects); `{ col: { direction: 'asc', nulls: 'first' } }` places nulls (by default last",
    'when ascending, first when descending). `limit` is at most 1000; `offset` skips rows.',
    '',
    '### select',
    '',
    "`select: ['id', 'col']` returns only those columns, and the result type has only them.",
    '',
    '### include',
    '',
    'Fetches related rows in the same request. A belongs-to relation gives one row, or `null` when its',
    'reference column is nullable; a has-many relation gives an array. Included relations take `select`',
    'and `include` (nested up to three levels); has-many ones also take `where`, `orderBy`, `limit` and',
    '`offset`, applied to the related rows.',
    '',
    ...(example ? exampleInclude(ir, example) : []),
    ...authSection(ir),
    ...realtimeSection(example?.name),
    '## Errors',
    '',
    'A request that fails throws `KoyaClientError` with:',
    '',
    '- `code`: stable, e.g. `KL_API_VALIDATION`, `KL_API_UNAUTHORIZED`, `KL_API_NOT_FOUND`, `KL_API_CONFLICT`',
    '  (the server\'s `docs/errors.md` explains each and how to solve it);',
    '- `status`: the HTTP status;',
    '- `message`: the problem and the thing involved;',
    '- `hint`: the next step, when the server gives one.',
    '',
    'Failures without an answer from the server have codes of their own:',
    '',
    ...Object.entries(CLIENT_ERROR_CODES).map(([code, what]) => `- \`${code}\`: ${what}`),
    '',
    '## Types',
    '',
    '`index.ts` exports, besides each table\'s types: `Tables` (the map every type is read from),',
    "`RowOf<'table'>`, `InsertOf<'table'>`, `UpdateOf<'table'>`, `Where<'table'>`, `OrderBy<'table'>`,",
    "`Include<'table'>`, `QueryResult<'table', select, include>` (what a read returns), `KoyaClient`,",
    '`ClientOptions`, `KoyaErrorCode`, `TableClient`, `AdminClient` and the `Auth*` types it uses; with a',
    'users table also `AuthClient` and its types (`AuthUser`, `AuthSignupInput`, `AuthSession`, …).',
    '',
  ].join('\n')
}

/** `koya.<table>.subscribe`, `koya.channel` and `koya.realtime`. */
function realtimeSection(table: string | undefined): string[] {
  const name = table ?? 'items'
  return [
    '## Realtime',
    '',
    '`koya.<table>.subscribe({ where, events, initial }, callback)` delivers the changes of the rows you may read as',
    'they commit (`create`, `update`, `delete`; `enter` and `leave` when a row moves into or out of what you may',
    'read; `initial` rows with `initial: true`; `resync` when missed changes are past the server\'s window) and',
    'returns the unsubscribe. `koya.channel(name)` joins a broadcast channel with presence (`join`, `broadcast`,',
    '`on`, `members`, `leave`). They share one WebSocket to `/realtime`, opened on first use, reconnected with',
    'backoff and resumed from the last event; `koya.realtime.close()` closes it, `koya.realtime.reconnect()`',
    'reconnects with the current token. The global `WebSocket` is used unless `createClient({ webSocket })` gives one.',
    '',
    '```ts',
    `const stop = koya.${name}.subscribe({ events: ['create', 'update'] }, (change) => console.log(change.event))`,
    'stop()',
    '```',
    '',
  ]
}

/** `koya.auth` and `koya.admin`: the methods of the route contract, and the helpers that send no request. */
function authSection(ir: ProjectIR): string[] {
  const users = usersTableOf(ir)
  const namespaces = sdkNamespacesOf(routeGroupsOf(ir))
  const rows = (namespace: string) =>
    (namespaces.get(namespace) ?? []).map((route) => `| \`${signatureOf(route)}\` | ${route.sdk.doc.replaceAll('|', '\\|')} | \`${route.sdk.returns.replaceAll('|', '\\|')}\` | \`${route.method} ${openApiPath(route.path)}\` |`)
  // The methods after which the client sends a new session token.
  const signsIn = (namespaces.get('auth') ?? []).filter((route) => route.sdk.token === 'keep' || route.sdk.token === 'aside').map((route) => `\`${route.sdk.name}\``)
  const listed = signsIn.length < 2 ? signsIn.join('') : `${signsIn.slice(0, -1).join(', ')} and ${signsIn.at(-1)}`
  const admin = [
    '## Admin',
    '',
    "`koya.admin` needs an admin's session or the service key. Roles are typed: only the app's roles compile.",
    '',
    '| method | what it does | returns | request |',
    '| --- | --- | --- | --- |',
    ...rows('admin'),
    '',
  ]
  if (users === undefined) return admin
  const provider = oauthProvidersOf(ir)[0]
  return [
    '## Auth',
    '',
    `\`koya.auth\` signs users in and keeps the session token: after ${listed}, every request`,
    'carries it as `Authorization: Bearer <token>`; `logout` and `logoutAll` forget it. To keep a',
    'session across page loads, store `await koya.auth.getToken()` and pass it to',
    '`createClient({ url, token })` next time.',
    '',
    '```ts',
    `await koya.auth.signup({ email, password${users.columns.some((c) => c.name === 'displayName' && !c.nullable && c.default === null) ? ", displayName: 'Ada'" : ''} })`,
    'const { user } = await koya.auth.login({ email, password })',
    'const { roles } = await koya.auth.session()',
    'await koya.auth.logout()',
    '```',
    '',
    '| method | what it does | returns | request |',
    '| --- | --- | --- | --- |',
    ...rows('auth'),
    ...(provider ? [`| \`oauthUrl('${provider}', { redirectTo })\` | The address to open in the browser to sign in with the provider. | \`string\` | \`GET /auth/oauth/<provider>\` |`] : []),
    '| `getToken()`, `setToken(token)` | The token the client sends; send another. | `Promise<string \\| null>`, `void` | |',
    '',
    ...admin,
  ]
}

function describeRelation(relation: RelationIR): string {
  switch (relation.kind) {
    case 'belongsTo':
      return `\`${relation.name}\` → ${relation.table}${relation.nullable ? ' or null' : ''}`
    case 'hasMany':
      return `\`${relation.name}\` → ${relation.table}[]`
    default:
      return assertNever(relation, 'relation')
  }
}

function exampleInclude(ir: ProjectIR, table: TableIR): string[] {
  const belongsTo = exampleParent(table)
  const hasMany = sortedRelations(table).find((r) => r.kind === 'hasMany')
  if (!belongsTo || !hasMany) return []
  const parent = ir.tables.find((t) => t.name === belongsTo.table)
  const child = ir.tables.find((t) => t.name === hasMany.table)
  const grand = parent ? exampleParent(parent) : undefined
  const parentInclude = grand ? `{ include: { ${grand.name}: true } }` : 'true'
  const childOrder = child?.columns.some((c) => c.name === 'createdAt') ? `orderBy: { createdAt: 'desc' }, ` : ''
  return [
    '```ts',
    `const rows = await koya.${table.name}.list({`,
    `  include: { ${belongsTo.name}: ${parentInclude}, ${hasMany.name}: { ${childOrder}limit: 5 } },`,
    '})',
    `// rows[0].${belongsTo.name}${belongsTo.nullable ? '?' : ''}${grand ? `.${grand.name}` : ''}, rows[0].${hasMany.name}[0]`,
    '```',
    '',
  ]
}

