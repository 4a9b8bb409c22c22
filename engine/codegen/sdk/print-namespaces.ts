import { pathParameterNames, type RouteContract, type RouteGroup, type SdkMethod } from '../../ir/routes/route-contract.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { literal } from '../ts-types.ts'
import type { ClientMember } from './print-client.ts'

/**
 * The SDK's namespaces of the route contract (`koya.auth`, `koya.admin`, later `koya.storage`…):
 * one class per namespace, one method per contract entry that names an SDK method. What a
 * namespace adds by hand (helpers that send no request, such as `oauthUrl`) comes in `extras`.
 */

/** What a namespace adds to the printed methods. */
export interface NamespaceExtras {
  /** One line of TSDoc for `koya.<namespace>`. */
  readonly memberDoc: string
  /** The class's TSDoc, without the comment markers' lines. */
  readonly classDoc: readonly string[]
  /** Members printed after the contract's methods, indented for the class body. */
  readonly members: string
  /** Whether the class holds the token slot even when no method changes the token. */
  readonly usesSlot: boolean
}

/** A contract entry that has an SDK method. */
type SdkRoute = RouteContract & { readonly sdk: SdkMethod }

/** The namespaces in the order of the groups, each with its routes. */
export function sdkNamespacesOf(groups: readonly RouteGroup[]): Map<string, SdkRoute[]> {
  const namespaces = new Map<string, SdkRoute[]>()
  for (const group of groups) {
    for (const route of group.routes) {
      if (route.sdk === undefined) continue
      const list = namespaces.get(route.sdk.namespace) ?? []
      list.push(route as SdkRoute)
      namespaces.set(route.sdk.namespace, list)
    }
  }
  return namespaces
}

export function classNameOf(namespace: string): string {
  return `${namespace.charAt(0).toUpperCase()}${namespace.slice(1)}Client`
}

const needsSlot = (routes: readonly SdkRoute[], extras: NamespaceExtras | undefined) => (extras?.usesSlot ?? false) || routes.some((r) => r.sdk.token !== 'none')

/** `koya.<namespace>` members of the client object. */
export function namespaceMembers(groups: readonly RouteGroup[], extras: Readonly<Record<string, NamespaceExtras>>): ClientMember[] {
  return [...sdkNamespacesOf(groups)].map(([namespace, routes]) => {
    const className = classNameOf(namespace)
    return {
      name: namespace,
      doc: extras[namespace]?.memberDoc ?? `The ${namespace} endpoints.`,
      type: className,
      create: needsSlot(routes, extras[namespace]) ? `new ${className}(transport, slot)` : `new ${className}(transport)`,
    }
  })
}

/** The class of each namespace. */
export function printNamespaceClasses(groups: readonly RouteGroup[], extras: Readonly<Record<string, NamespaceExtras>>): string {
  return [...sdkNamespacesOf(groups)].map(([namespace, routes]) => printClass(namespace, routes, extras[namespace])).join('\n\n')
}

function printClass(namespace: string, routes: readonly SdkRoute[], extras: NamespaceExtras | undefined): string {
  const slot = needsSlot(routes, extras)
  const forgets = routes.some((r) => r.sdk.token === 'forget' || r.sdk.token === 'forgetAlways')
  const lines = [
    '/**',
    ...(extras?.classDoc ?? [`koya.${namespace}.`]).map((line) => (line === '' ? ' *' : ` * ${line}`)),
    ' */',
    `export class ${classNameOf(namespace)} {`,
    '  readonly #transport: KoyaTransport',
    ...(slot ? ['  readonly #slot: TokenSlot'] : []),
    '',
    slot ? '  constructor(transport: KoyaTransport, slot: TokenSlot) {' : '  constructor(transport: KoyaTransport) {',
    '    this.#transport = transport',
    ...(slot ? ['    this.#slot = slot'] : []),
    '  }',
    ...routes.flatMap((route) => ['', ...printMethod(route)]),
    ...(extras?.members ? ['', extras.members.replace(/^\n+|\n+$/g, '')] : []),
    ...(forgets
      ? ['', '  #forget(): void {', '    this.#slot.current = null', '    this.#slot.saved = undefined', '  }']
      : []),
    '',
    "  async #send(method: KoyaRequest['method'], path: string, body?: object, params?: readonly (readonly [string, string])[]): Promise<unknown> {",
    '    return (await this.#transport.request({ method, path, ...(body === undefined ? {} : { body }), ...(params === undefined ? {} : { params }) })).body',
    '  }',
    '}',
  ]
  return lines.join('\n')
}

/** A method's signature: `grantRole(userId: string, role: AuthRole)`. */
export function signatureOf(route: SdkRoute): string {
  return `${route.sdk.name}${route.sdk.typeParams ?? ''}(${argumentsOf(route).map((a) => `${a.name}: ${a.type}${a.optional ? ' = {}' : ''}`).join(', ')})`
}

function argumentsOf(route: SdkRoute): { name: string; type: string; optional?: boolean }[] {
  const { sdk } = route
  const params = pathParameterNames(route.path).map((name) => sdk.paramArgs?.[name] ?? { name, type: 'string' })
  const input = sdk.input
  switch (input.kind) {
    case 'none':
      return params
    case 'body':
      return [...params, { name: 'input', type: input.type }]
    case 'bodyField':
      return [...params, { name: input.field, type: input.type }]
    case 'bodyRest':
      return [...params, ...input.fields]
    case 'query':
      return [...params, { name: 'filter', type: input.type, optional: true }]
    default:
      return assertNever(input, 'SDK input')
  }
}

/** `'/admin/users/' + encodeURIComponent(userId) + '/roles'` */
function pathExpression(route: SdkRoute): string {
  const parts = route.path.split(/(:\w+)/).filter((part) => part !== '')
  return parts.map((part) => (part.startsWith(':') ? `encodeURIComponent(${route.sdk.paramArgs?.[part.slice(1)]?.name ?? part.slice(1)})` : literal(part))).join(' + ')
}

function bodyExpression(route: SdkRoute): string | undefined {
  const input = route.sdk.input
  switch (input.kind) {
    case 'none':
    case 'query':
      return undefined
    case 'body':
      return 'input'
    case 'bodyField':
      return `{ ${input.field} }`
    case 'bodyRest':
      return `{ ${input.fields.map((f) => f.name).join(', ')} }`
    default:
      return assertNever(input, 'SDK input')
  }
}

function printMethod(route: SdkRoute): string[] {
  const { sdk } = route
  if (sdk.answer === 'bytes') {
    const body = bodyExpression(route)
    const request = `{ method: ${literal(route.method)}, path: ${pathExpression(route)}${body === undefined ? '' : `, body: ${body}`} }`
    return [`  /** ${sdk.doc} */`, `  async ${signatureOf(route)}: Promise<Uint8Array> {`, `    return this.#transport.requestBytes(${request})`, '  }']
  }
  const answer = sdk.pick === undefined ? sdk.returns : `{ ${sdk.pick}: ${sdk.returns} }`
  const body = bodyExpression(route)
  const query = sdk.input.kind === 'query' ? (route.query ?? []).map((p) => p.name) : undefined
  const args = [literal(route.method), pathExpression(route), ...(body !== undefined ? [body] : query !== undefined ? ['undefined', 'params'] : [])]
  const send = `await this.#send(${args.join(', ')})`
  const returnsValue = sdk.returns !== 'void'
  const keepsAnswer = returnsValue || sdk.token === 'keep' || sdk.token === 'aside'
  const lines: string[] = []
  if (query !== undefined) {
    lines.push('const params: (readonly [string, string])[] = []')
    lines.push(`for (const name of [${query.map(literal).join(', ')}] as const) {`)
    lines.push('  const value = filter[name]')
    lines.push('  if (value !== undefined) params.push([name, String(value)])')
    lines.push('}')
  }
  if (sdk.token === 'forgetAlways') {
    lines.push('try {', `  ${send}`, '} finally {', '  this.#forget()', '}')
  } else if (returnsValue && sdk.token === 'none' && sdk.pick === undefined) {
    return [`  /** ${sdk.doc} */`, `  async ${signatureOf(route)}: Promise<${sdk.returns}> {`, ...lines.map((line) => `    ${line}`), `    return (${send}) as ${answer}`, '  }']
  } else {
    lines.push(keepsAnswer ? `const result = (${send}) as ${answer}` : send)
  }
  const token = sdk.token
  switch (token) {
    case 'none':
    case 'forgetAlways':
      break
    case 'keep':
      lines.push('this.#slot.current = result.session.token')
      break
    case 'aside':
      lines.push('this.#slot.saved ??= { token: this.#slot.current }', 'this.#slot.current = result.session.token')
      break
    case 'restore':
      lines.push('this.#slot.current = this.#slot.saved === undefined ? null : this.#slot.saved.token', 'this.#slot.saved = undefined')
      break
    case 'forget':
      lines.push('this.#forget()')
      break
    default:
      return assertNever(token, 'SDK token effect')
  }
  if (returnsValue) lines.push(sdk.pick === undefined ? 'return result' : `return result.${sdk.pick}`)
  return [`  /** ${sdk.doc} */`, `  async ${signatureOf(route)}: Promise<${sdk.returns}> {`, ...lines.map((line) => `    ${line}`), '  }']
}
