import type { JsonValue } from '../../ir/project-ir.ts'
import { openApiPath, pathParameterNames, type RouteContract, type RouteGroup } from '../../ir/routes/route-contract.ts'
import type { JsonSchema } from '../json-schema/column-schemas.ts'
import type { HttpMethod, MediaTypeObject, OperationObject, ParameterObject, PathItemObject, RequestBodyObject, ResponseObject, TagObject } from './openapi-types.ts'
import { json, schemaRef } from './shared-components.ts'

/**
 * The OpenAPI paths of the route contract's groups (/auth, /admin, …): one operation per
 * contract entry, its errors listed by status with their codes.
 */

export interface ContractDocument {
  readonly paths: Record<string, PathItemObject>
  readonly schemas: Record<string, JsonSchema>
  readonly tags: TagObject[]
}

const METHODS: Record<RouteContract['method'], HttpMethod> = { GET: 'get', POST: 'post', PATCH: 'patch', DELETE: 'delete', HEAD: 'head', OPTIONS: 'options' }

/**
 * The groups' paths, component schemas and tags. `taken` holds the component names already used
 * (the tables' schemas, the error schema): a group's schema whose name is taken becomes
 * `Koya<name>`, and every `$ref` to it follows.
 */
export function buildContractPaths(groups: readonly RouteGroup[], taken: ReadonlySet<string>, errorSchema: string): ContractDocument {
  const renames = new Map<string, string>()
  for (const group of groups) for (const name of Object.keys(group.schemas)) renames.set(name, taken.has(name) ? `Koya${name}` : name)
  const rename = <T>(value: T): T => renameRefs(value as JsonValue, renames) as T
  const paths: Record<string, PathItemObject> = {}
  const schemas: Record<string, JsonSchema> = {}
  const tags: TagObject[] = []
  for (const group of groups) {
    if (group.routes.length === 0) continue
    tags.push(group.tag)
    for (const [name, schema] of Object.entries(group.schemas)) schemas[renames.get(name)!] = rename(schema)
    for (const route of group.routes) {
      const path = openApiPath(route.path)
      paths[path] = { ...paths[path], [METHODS[route.method]]: rename(operationOf(route, errorSchema)) }
    }
  }
  return { paths, schemas, tags }
}

function operationOf(route: RouteContract, errorSchema: string): OperationObject {
  const parameters: ParameterObject[] = [
    ...pathParameterNames(route.path).map((name): ParameterObject => {
      const param = route.params?.find((p) => p.name === name)
      return { name, in: 'path', required: true, description: param?.description ?? '', schema: (param?.schema ?? { type: 'string' }) as JsonSchema }
    }),
    ...(route.query ?? []).map((p): ParameterObject => ({ name: p.name, in: 'query', required: p.required ?? false, description: p.description, schema: p.schema as JsonSchema })),
  ]
  const responses: Record<string, ResponseObject> = {}
  for (const answer of route.responses) {
    const content: Record<string, MediaTypeObject> | undefined =
      answer.contentType === 'application/octet-stream'
        ? { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }
        : answer.contentType !== undefined && answer.contentType !== 'application/json'
          ? { [answer.contentType]: { schema: { type: 'string' } } }
        : answer.schema === undefined
          ? undefined
          : json(answer.schema as JsonSchema)
    responses[String(answer.status)] = { description: answer.description, ...(answer.headers ? { headers: answer.headers as ResponseObject['headers'] } : {}), ...(content ? { content } : {}) }
  }
  for (const error of route.errors) {
    responses[String(error.status)] = { description: `${error.description} (${error.codes.map((c) => `\`${c}\``).join(', ')}).`, content: json(schemaRef(errorSchema)) }
  }
  return {
    operationId: route.id,
    tags: [route.tag],
    summary: route.summary,
    description: route.description,
    parameters,
    ...(route.body ? { requestBody: requestBodyOf(route.body) } : {}),
    responses,
    // Public endpoints need no credentials; the others take the document's (bearer or cookie).
    ...(route.auth === 'public' ? { security: [] } : {}),
  }
}

function requestBodyOf(body: NonNullable<RouteContract['body']>): RequestBodyObject {
  const schema = (body.component === undefined ? body.schema : schemaRef(body.component)) as JsonSchema
  if (body.binary) {
    return { description: body.description, required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'multipart/form-data': { schema } } }
  }
  return {
    description: body.description,
    required: true,
    content: { ...json(schema), ...(body.form ? { 'application/x-www-form-urlencoded': { schema } } : {}) },
  }
}

/** A copy of `value` with each `#/components/schemas/<name>` reference renamed. */
function renameRefs(value: JsonValue, renames: ReadonlyMap<string, string>): JsonValue {
  if (Array.isArray(value)) return value.map((item: JsonValue) => renameRefs(item, renames))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, JsonValue> = {}
  for (const [key, item] of Object.entries(value as Record<string, JsonValue>)) {
    const prefix = '#/components/schemas/'
    if (key === '$ref' && typeof item === 'string' && item.startsWith(prefix)) out[key] = prefix + (renames.get(item.slice(prefix.length)) ?? item.slice(prefix.length))
    else out[key] = renameRefs(item, renames)
  }
  return out
}
