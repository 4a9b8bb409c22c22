import type { GeneratedFile } from '../shared/generated-file.ts'
import type { GenerateContext, Generator, Intermediates } from './generator.ts'
import { accessGenerator } from './access/emit-access.ts'
import { apiGenerator } from './api/emit-api.ts'
import { docsGenerator } from './docs/emit-docs.ts'
import { modelGenerator } from './model/emit-model.ts'
import { buildOpenApiDocument, openapiGenerator } from './openapi/emit-openapi.ts'
import { sdkGenerator } from './sdk/emit-sdk.ts'
import { stackGenerator } from './stack/emit-stack.ts'
import { typesGenerator } from './types/emit-types.ts'

export type { GenerateContext, Generator, Intermediates } from './generator.ts'

/** Every artifact generator, in the order their files are listed. */
export const generators: readonly Generator<keyof Intermediates>[] = [modelGenerator, typesGenerator, apiGenerator, openapiGenerator, docsGenerator, sdkGenerator, accessGenerator, stackGenerator]

/** Each intermediate, built once per run from the IR. */
export function buildIntermediates({ ir, source }: GenerateContext): Intermediates {
  return { openapi: buildOpenApiDocument(ir, source) }
}

/** All generated files except migrations (which depend on the previous ones on disk). */
export function emitArtifacts(context: GenerateContext): GeneratedFile[] {
  const withIntermediates = { ...context, ...buildIntermediates(context) }
  return generators.flatMap((generator) => generator.generate(withIntermediates))
}
