import type { KoyaErrorCode } from '../../shared/errors.ts'
import type { JsonValue } from '../project-ir.ts'

/**
 * The route contract of the hand-written HTTP surface (/auth, /admin; later /storage,
 * /functions, /search, /realtime). Each endpoint is described once, as data: the runtime
 * registers the Fastify route from it (its request schemas compile at registration and drive
 * validation) and attaches a handler by the entry's `id`; the OpenAPI emitter prints its path
 * item; the SDK emitter prints its client method. Nothing here runs a request.
 */

/** A JSON Schema, as plain JSON. Request schemas are self-contained (no `$ref`): Fastify compiles them. */
export type RouteSchema = { readonly [key: string]: JsonValue }

/** HEAD and OPTIONS serve protocols that need them (tus resumable uploads); they have no SDK method. */
export type RouteMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'

/**
 * Who may call the endpoint. `public`: anyone; `session`: a signed-in user's session;
 * `admin`: an admin's own session or the service key. The runtime refuses an anonymous caller
 * of a `session` or `admin` endpoint with 401 KL_AUTH_REQUIRED before the handler runs; the
 * handler refuses the rest (a service key where a user is needed, a user without the role).
 */
export type RouteAuth = 'public' | 'session' | 'admin'

/** A path or query parameter. Path parameters are named as in `path` (`:id`). */
export interface RouteParameter {
  readonly name: string
  readonly description: string
  readonly schema: RouteSchema
  /** Query parameters only: path parameters are always required. Default false. */
  readonly required?: boolean
}

export interface RouteBody {
  readonly description: string
  readonly schema: RouteSchema
  /** The component name OpenAPI files the schema under (`SignupRequest`); inline otherwise. */
  readonly component?: string
  /** Also taken as an HTML form (`application/x-www-form-urlencoded`): the emailed links' pages post it. */
  readonly form?: boolean
  /**
   * A file, not JSON: the raw bytes in any content type, or one `multipart/form-data` file field
   * (storage uploads). Streamed by the handler; `schema` only documents the multipart form.
   */
  readonly binary?: boolean
}

/** A success answer. */
export interface RouteResponse {
  readonly status: number
  readonly description: string
  /**
   * The JSON body; absent: none. May `$ref` component schemas (`#/components/schemas/<name>`):
   * a table's row type by its typeName, or one of the group's `schemas`.
   */
  readonly schema?: RouteSchema
  /** `application/json` unless said otherwise (the emailed links' pages are HTML; event streams; `/metrics` is text; CSV exports; storage downloads). */
  readonly contentType?: 'application/json' | 'text/html' | 'text/event-stream' | 'text/plain' | 'text/csv' | 'application/octet-stream'
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: RouteSchema }>>
}

/** The errors one status carries. A test checks each code's status against the runtime's map. */
export interface RouteError {
  readonly status: number
  /** Why, without the codes (the emitters append them). */
  readonly description: string
  readonly codes: readonly KoyaErrorCode[]
}

/**
 * What the client does with the session token a call answers with (the SDK keeps one token
 * slot, decision 37): `keep` the answer's `session.token`; `aside` keeps the current token aside
 * first (impersonation); `restore` goes back to the one kept aside; `forget` drops it after the
 * call succeeds; `forgetAlways` drops it whatever the server answers (logout).
 */
export type SdkTokenEffect = 'none' | 'keep' | 'aside' | 'restore' | 'forget' | 'forgetAlways'

/**
 * How the call's arguments map to the request: path parameters first, positionally, in path
 * order; then `body` (one argument, the whole body), `bodyField` (one argument, the body's
 * only field, e.g. `verifyEmail(token)`), `bodyRest` (further positional arguments, one per body
 * field), or `query` (one optional options object of query parameters).
 */
export type SdkInput =
  | { readonly kind: 'none' }
  | { readonly kind: 'body'; readonly type: string }
  | { readonly kind: 'bodyField'; readonly field: string; readonly type: string }
  | { readonly kind: 'bodyRest'; readonly fields: readonly { readonly name: string; readonly type: string }[] }
  | { readonly kind: 'query'; readonly type: string }

/** The SDK method an endpoint becomes: `koya.<namespace>.<name>(…)`. */
export interface SdkMethod {
  readonly namespace: string
  readonly name: string
  /** The method's type parameters, as printed after its name: `<N extends JobName>`. */
  readonly typeParams?: string
  /** TSDoc for the method (one paragraph). */
  readonly doc: string
  /** The argument each path parameter becomes, by parameter name. Default: its own name, typed `string`. */
  readonly paramArgs?: Readonly<Record<string, { readonly name: string; readonly type: string }>>
  readonly input: SdkInput
  /** The TypeScript type the method resolves to; `void` when the answer is not returned. */
  readonly returns: string
  /** Return this field of the answer instead of the whole answer (`changePassword` returns its session). */
  readonly pick?: string
  /**
   * `bytes`: the answer is not JSON but a file (an archive); the method resolves to its bytes
   * (`returns` must be `Uint8Array`). Default: the answer's JSON.
   */
  readonly answer?: 'bytes'
  readonly token: SdkTokenEffect
}

/**
 * One endpoint. `Id` is its operation id: the OpenAPI operationId and the key the runtime
 * attaches its handler by.
 */
export interface RouteContract<Id extends string = string> {
  readonly id: Id
  readonly method: RouteMethod
  /** Fastify syntax: `/admin/users/:id/roles`. */
  readonly path: string
  /** The OpenAPI tag (capitalized, so that no table can take it). */
  readonly tag: string
  readonly summary: string
  readonly description: string
  readonly auth: RouteAuth
  readonly params?: readonly RouteParameter[]
  readonly query?: readonly RouteParameter[]
  /** Whether query parameters other than `query` are refused (400). Default true. */
  readonly closedQuery?: boolean
  /** Absent: the endpoint takes no body, and accepts an empty one sent as JSON. */
  readonly body?: RouteBody
  readonly responses: readonly RouteResponse[]
  readonly errors: readonly RouteError[]
  /** Absent: no SDK method (a browser navigation such as the OAuth redirect, an HTML page). */
  readonly sdk?: SdkMethod
}

/** A tag and its description, for OpenAPI and the docs page. */
export interface RouteTag {
  readonly name: string
  readonly description: string
}

/**
 * The endpoints one feature serves for an app, with the component schemas their answers `$ref`.
 * Component names are the group's own; the OpenAPI emitter renames one that a table took.
 */
export interface RouteGroup<Id extends string = string> {
  readonly tag: RouteTag
  readonly routes: readonly RouteContract<Id>[]
  readonly schemas: Readonly<Record<string, RouteSchema>>
}

/** `/admin/users/:id` → `/admin/users/{id}` (OpenAPI's path template). */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}')
}

/** The path parameter names in order: `/a/:id/b/:role` → ['id', 'role']. */
export function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((match) => match[1]!)
}

/** A reference to a component schema. */
export function componentRef(name: string): RouteSchema {
  return { $ref: `#/components/schemas/${name}` }
}
