import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import type { RouteContract, RouteGroup } from './route-contract.ts'

/**
 * The /realtime endpoints (engine/runtime/realtime): the WebSocket and the server-sent event
 * stream. Their messages are the realtime protocol (docs/realtime.md), which OpenAPI cannot
 * describe; these entries document the two entry points, their parameters and their refusals. No
 * SDK method: `koya.<table>.subscribe` and `koya.channel` speak the protocol.
 */

export const REALTIME_ROUTE_IDS = ['realtimeSocket', 'realtimeEvents'] as const
export type RealtimeRouteId = (typeof REALTIME_ROUTE_IDS)[number]

export const REALTIME_TAG = 'Realtime'

const refusals = [
  err(401, 'A bearer token came that is no session (expired, revoked or mistyped)', 'KL_AUTH_REQUIRED'),
  err(403, 'The session cookie came from a page of an untrusted origin', 'KL_AUTH_CSRF'),
]

/**
 * The /realtime group of an app.
 *
 * @example
 * realtimeRoutes(ir).routes.map((route) => route.path) // ['/realtime', '/realtime/events']
 */
export function realtimeRoutes(ir: ProjectIR): RouteGroup<RealtimeRouteId> {
  const tables = ir.tables.map((table) => table.name)
  const routes: RouteContract<RealtimeRouteId>[] = [
    {
      id: 'realtimeSocket',
      method: 'GET',
      path: '/realtime',
      tag: REALTIME_TAG,
      summary: 'Open the realtime WebSocket',
      description:
        'Upgrade to a WebSocket carrying JSON messages: subscriptions to row changes (`subscribe` with a table, a REST filter, events, initial rows and a resume point), broadcast channels and presence. A change reaches a subscriber only when the read policy admits the row; rows moving out of or into view are `leave` and `enter`. Authenticated like REST (bearer token or session cookie), or later with an `auth` message. Closed with 4001 when the session ends and 4008 when the client reads too slowly. The protocol is described in docs/realtime.md.',
      auth: 'public',
      responses: [{ status: 101, description: 'Switching Protocols: the WebSocket.' }],
      errors: refusals,
    },
    {
      id: 'realtimeEvents',
      method: 'GET',
      path: '/realtime/events',
      tag: REALTIME_TAG,
      summary: 'Subscribe to row changes as server-sent events',
      description:
        'One subscription as a stream of server-sent events, for clients that cannot hold a WebSocket: `subscribed`, then a `change` per row change the read policy admits (`create`, `update`, `delete`, `enter`, `leave`), `resync`, `heartbeat` and `failure`. Each change\'s event id is its sequence number: reconnecting with `Last-Event-ID` resumes after it.',
      auth: 'public',
      query: [
        { name: 'table', required: true, description: 'The table to watch.', schema: { type: 'string', enum: tables } },
        { name: 'id', description: 'The subscription\'s name in the messages (default `events`).', schema: { type: 'string', minLength: 1, maxLength: 64 } },
        { name: 'filter', description: 'Filters in the REST grammar, as one URL-encoded query string (`status=eq.todo&priority=gte.2`).', schema: { type: 'string', maxLength: 8192 } },
        { name: 'events', description: 'Comma-separated: `create`, `update`, `delete` (default all three; `enter` and `leave` always come).', schema: { type: 'string' } },
        { name: 'initial', description: '`true`: the `subscribed` event carries the rows that match now.', schema: { type: 'string', enum: ['true', 'false'] } },
        { name: 'after', description: 'Resume after this sequence number (the `Last-Event-ID` header takes precedence).', schema: { type: 'string', pattern: '^[0-9]+$' } },
      ],
      responses: [{ status: 200, description: 'The event stream.', contentType: 'text/event-stream' }],
      errors: [err(400, 'The query or the filter is malformed, or names an unknown table or column', 'KL_API_REALTIME_BAD_MESSAGE', 'KL_API_BAD_FILTER', 'KL_API_UNKNOWN_COLUMN'), ...refusals],
    },
  ]
  return { tag: { name: REALTIME_TAG, description: 'Row changes filtered by the read policies, broadcast channels and presence (docs/realtime.md).' }, routes, schemas: {} }
}
