// Every request Studio makes: same origin, the admin's session cookie (or, while viewing as a
// user, that impersonation's bearer token). No other host is ever contacted (the CSP forbids it).

export interface ApiError {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly hint?: string
}

export class StudioApiError extends Error {
  readonly status: number
  readonly code: string
  readonly hint: string | undefined
  constructor(error: ApiError) {
    super(error.message)
    this.status = error.status
    this.code = error.code
    this.hint = error.hint
  }
}

/** The impersonation token while "view as user" is on: reads go out as that user. */
let viewAsToken: string | undefined
export function setViewAsToken(token: string | undefined): void {
  viewAsToken = token
}
export function isViewingAs(): boolean {
  return viewAsToken !== undefined
}
/** The impersonation's token while viewing as a user (realtime subscribes as that user with it). */
export function viewAsTokenNow(): string | undefined {
  return viewAsToken
}

export interface Answer<T> {
  readonly body: T
  readonly headers: Headers
}

/** GETs started before React mounted (`preload`), each handed to the first `request` for it. */
const early = new Map<string, Promise<Answer<unknown>>>()

/**
 * Starts a GET now (as the admin, no extra header) so the page asking for it later finds it in
 * flight: Studio's first paint waits on one round trip, started as soon as the script runs.
 */
export function preload(url: string): void {
  if (early.has(url)) return
  const answer = request('GET', url)
  answer.catch(() => {})
  early.set(url, answer)
}

export async function request<T = unknown>(method: string, url: string, options: { body?: unknown; headers?: Record<string, string>; asAdmin?: boolean } = {}): Promise<Answer<T>> {
  const started = method === 'GET' && options.headers === undefined && viewAsToken === undefined ? early.get(url) : undefined
  if (started !== undefined) {
    early.delete(url)
    // A preload that failed (before sign-in, say) is asked again rather than shown.
    return (started as Promise<Answer<T>>).catch(() => request<T>(method, url, options))
  }
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (viewAsToken !== undefined && options.asAdmin !== true) headers.authorization = `Bearer ${viewAsToken}`
  const response = await fetch(url, { method, headers, credentials: 'same-origin', ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) })
  const text = await response.text()
  const body = text === '' ? undefined : (JSON.parse(text) as unknown)
  if (!response.ok) {
    const error = (body ?? {}) as Partial<ApiError>
    throw new StudioApiError({ status: response.status, code: error.code ?? `HTTP_${response.status}`, message: error.message ?? response.statusText, ...(error.hint ? { hint: error.hint } : {}) })
  }
  return { body: body as T, headers: response.headers }
}

export const get = async <T,>(url: string, headers?: Record<string, string>) => (await request<T>('GET', url, headers ? { headers } : {})).body
export const post = async <T,>(url: string, body?: unknown) => (await request<T>('POST', url, { body: body ?? {} })).body

// ── The model, as GET /admin/meta describes it ────────────────────────────────────────────────

export interface Column {
  readonly name: string
  readonly type: string
  readonly nullable: boolean
  readonly default: unknown
  readonly unique: boolean
  readonly min: number | null
  readonly max: number | null
  readonly values: readonly string[] | null
  readonly references: { readonly table: string; readonly column?: string } | null
  readonly readOnly: boolean
  /** `.personal()` (or `.phi()`, or the users table's email): personal data (docs/compliance.md). */
  readonly personal?: true
  /** `.phi()`: protected health information. */
  readonly phi?: true
}

/** How a column's privacy annotation reads in Studio: `PHI`, `personal`, or nothing. */
export const privacyLabelOf = (column: Pick<Column, 'personal' | 'phi'>): string => (column.phi === true ? 'PHI' : column.personal === true ? 'personal' : '')

export interface Relation {
  readonly kind: string
  readonly name: string
  readonly table: string
  readonly column: string
}

export interface Policy {
  readonly source: string
  readonly sql: string
  /** Where the rule is written. */
  readonly at?: { readonly file: string; readonly line: number; readonly column: number }
}

export interface Table {
  readonly name: string
  readonly typeName: string
  readonly isUsers: boolean
  readonly columns: readonly Column[]
  readonly relations: readonly Relation[]
  readonly indexes: readonly { readonly name: string; readonly columns: readonly string[]; readonly unique: boolean }[]
  readonly policies: {
    readonly read: Policy | null
    readonly create: Policy | null
    readonly update: { readonly using: Policy; readonly check: Policy } | null
    readonly delete: Policy | null
  }
}

export interface Meta {
  readonly project: { readonly name: string; readonly environment: string } | null
  readonly roles: readonly string[]
  readonly tables: readonly Table[]
  /** The storage buckets' names (their objects are simulated with `bucket`). */
  readonly buckets?: readonly string[]
}

export interface SessionInfo {
  readonly user: { readonly id: string; readonly email: string }
  readonly roles: readonly string[]
  readonly impersonator?: unknown
}

export function hasPolicies(table: Table): boolean {
  const p = table.policies
  return p.read !== null || p.create !== null || p.update !== null || p.delete !== null
}
