import type { JsonSchema } from '../json-schema/column-schemas.ts'

/**
 * The part of OpenAPI 3.1 that KoyaLite writes: enough structure for the docs page to read the
 * document back without casts. Every value is plain JSON.
 */

export interface Reference {
  readonly $ref: string
}

export type ParameterLocation = 'query' | 'header' | 'path'

export interface ParameterObject {
  readonly name: string
  readonly in: ParameterLocation
  readonly description: string
  readonly required: boolean
  readonly schema: JsonSchema
}

export interface HeaderObject {
  readonly description: string
  readonly schema: JsonSchema
}

export interface MediaTypeObject {
  readonly schema: JsonSchema
}

export interface ResponseObject {
  readonly description: string
  readonly headers?: Readonly<Record<string, HeaderObject>>
  readonly content?: Readonly<Record<string, MediaTypeObject>>
}

export interface RequestBodyObject {
  readonly description: string
  readonly required: boolean
  readonly content: Readonly<Record<string, MediaTypeObject>>
}

export type SecurityRequirement = Readonly<Record<string, readonly string[]>>

export interface OperationObject {
  readonly operationId: string
  readonly summary: string
  readonly description: string
  readonly tags: readonly string[]
  readonly parameters: readonly (ParameterObject | Reference)[]
  readonly requestBody?: RequestBodyObject
  readonly responses: Readonly<Record<string, ResponseObject | Reference>>
  readonly security?: readonly SecurityRequirement[]
}

/** The methods KoyaLite serves, in the order the docs list them. */
export const HTTP_METHODS = ['get', 'post', 'patch', 'delete', 'head', 'options'] as const
export type HttpMethod = (typeof HTTP_METHODS)[number]

export type PathItemObject = Partial<Readonly<Record<HttpMethod, OperationObject>>>

export interface TagObject {
  readonly name: string
  readonly description: string
}

export type SecuritySchemeObject =
  | { readonly type: 'http'; readonly scheme: 'bearer'; readonly description: string }
  | { readonly type: 'apiKey'; readonly in: 'cookie' | 'header' | 'query'; readonly name: string; readonly description: string }

export interface OpenApiDocument {
  readonly openapi: '3.1.0'
  readonly info: { readonly title: string; readonly version: string; readonly description: string }
  /** Where the document came from; stands in for the banner other generated files carry. */
  readonly 'x-generated-by': string
  readonly servers: readonly { readonly url: string; readonly description: string }[]
  readonly tags: readonly TagObject[]
  readonly security: readonly SecurityRequirement[]
  readonly paths: Readonly<Record<string, PathItemObject>>
  /** OpenAPI 3.1's top-level webhooks: the requests the app sends (its webhooks' events). */
  readonly webhooks?: Readonly<Record<string, PathItemObject>>
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>
    readonly parameters: Readonly<Record<string, ParameterObject>>
    readonly responses: Readonly<Record<string, ResponseObject>>
    readonly securitySchemes: Readonly<Record<string, SecuritySchemeObject>>
  }
}
