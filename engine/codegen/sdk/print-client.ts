import type { ProjectIR } from '../../ir/project-ir.ts'
import { literal } from '../ts-types.ts'

/**
 * One property of the client object that createClient returns. Each table is one; the auth,
 * storage, functions and search namespaces join as members of their own (with the declarations
 * they need printed as further sections), all built on the same KoyaTransport.
 */
export interface ClientMember {
  readonly name: string
  /** One line of TSDoc. */
  readonly doc: string
  readonly type: string
  /** The expression that builds it from `transport`. */
  readonly create: string
}

/** `koya.tasks`: a TableClient per table, in table-name order. */
export function tableMembers(ir: ProjectIR): ClientMember[] {
  return ir.tables.map((table) => ({
    name: table.name,
    doc: `Rows of ${table.name} (${table.typeName}), at /api/${table.name}.`,
    type: `TableClient<${literal(table.name)}>`,
    create: `new TableClient(transport, ${literal(table.name)}, realtime)`,
  }))
}

/** `koya.realtime` and `koya.channel(name)`: the client's realtime connection and its broadcast channels. */
export function realtimeMembers(): ClientMember[] {
  return [
    { name: 'realtime', doc: 'The realtime connection (/realtime) that table subscriptions and channels share: close or reconnect it.', type: 'RealtimeClient', create: 'realtime' },
    { name: 'channel', doc: 'A broadcast channel with presence, by name.', type: '(name: string) => RealtimeChannel', create: '(name: string) => realtime.channel(name)' },
  ]
}

/** The KoyaClient interface and createClient. */
export function printClient(appName: string, members: readonly ClientMember[]): string {
  return [
    '// ─── Client ─────────────────────────────────────────────────────────────────────────────────────',
    '',
    `/** The client of ${appName}: one property per table${members.some((m) => m.type === 'AuthClient') ? ', and the auth and admin namespaces' : ''}. */`,
    'export interface KoyaClient {',
    ...members.flatMap((m) => [`  /** ${m.doc} */`, `  readonly ${m.name}: ${m.type}`]),
    '}',
    '',
    '/**',
    ' * A client for the server at options.url. It keeps no connection for requests (make one per',
    ' * token, or pass a token function); subscriptions and channels share one WebSocket, opened on',
    ' * first use.',
    ' *',
    ' * @example',
    " * const koya = createClient({ url: 'http://127.0.0.1:3000', token })",
    ' */',
    'export function createClient(options: ClientOptions): KoyaClient {',
    '  const slot: TokenSlot = { current: options.token }',
    '  const transport = createTransport(options, slot)',
    '  const realtime = new RealtimeConnection(options, slot)',
    '  return {',
    ...members.map((m) => `    ${m.name}: ${m.create},`),
    '  }',
    '}',
    '',
  ].join('\n')
}

/** `SearchableTable`: the tables /search serves (search.text, or search.semantic with embeddings), whose clients have search(). */
export function printSearchableTables(ir: ProjectIR): string {
  const names = ir.tables.filter((t) => (t.search?.text.length ?? 0) > 0 || (ir.embeddings !== undefined && (t.search?.semantic.length ?? 0) > 0)).map((t) => literal(t.name))
  return ['/** The tables with a search index: koya.<table>.search(q, options) exists on these. */', `export type SearchableTable = ${names.length === 0 ? 'never' : names.join(' | ')}`].join('\n')
}
