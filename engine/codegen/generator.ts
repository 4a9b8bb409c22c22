import type { ProjectIR } from '../ir/project-ir.ts'
import type { GeneratedFile } from '../shared/generated-file.ts'
import type { OpenApiDocument } from './openapi/openapi-types.ts'

export interface GenerateContext {
  readonly ir: ProjectIR
  /** The config file, relative to the project root: named in every banner. */
  readonly source: string
}

/**
 * What the pipeline builds once from the IR and hands to each emitter that names it, so that two
 * artifacts printed from one value print the same one (and it is built once).
 */
export interface Intermediates {
  /** The REST API as OpenAPI 3.1: openapi.json is its text, and the docs page is printed from it. */
  readonly openapi: OpenApiDocument
  /** The GraphQL schema as SDL: generated/graphql/schema.graphql, and the docs page's GraphQL section. */
  readonly graphqlSdl: string
}

/** One artifact: a pure function from the IR, and the intermediates it `Needs`, to files. */
export interface Generator<Needs extends keyof Intermediates = never> {
  readonly name: string
  generate(context: GenerateContext & Pick<Intermediates, Needs>): GeneratedFile[]
}
