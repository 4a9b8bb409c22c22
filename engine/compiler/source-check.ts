import type { KoyaErrorCode, SourceLocation } from '../shared/errors.ts'
import { findDefinitionLocations, type DefinitionLocations } from './definition-locations.ts'
import { loadSourceProject, type SourceProject } from './source-project.ts'

/** A problem as it crosses the worker boundary (structured clone keeps data, not classes). */
export interface PlainProblem {
  readonly code: KoyaErrorCode
  readonly message: string
  readonly at: SourceLocation | undefined
}

export interface SourceCheckRequest {
  readonly root: string
  readonly configPath: string
  readonly typeCheck: boolean
}

/** What the worker posts: first the diagnostics, then, when asked, the locations. */
export type WorkerReply =
  | { readonly kind: 'diagnostics'; readonly syntaxErrors: readonly PlainProblem[]; readonly typeErrors: readonly PlainProblem[] }
  | { readonly kind: 'locations'; readonly locations: DefinitionLocations }

/** Parse (and unless told otherwise type-check) the definition. Loads the TypeScript compiler. */
export function checkSources({ root, configPath, typeCheck }: SourceCheckRequest) {
  const source = loadSourceProject(root, configPath, typeCheck)
  const plain = (e: PlainProblem): PlainProblem => ({ code: e.code, message: e.message, at: e.at })
  return { source, syntaxErrors: source.syntaxErrors.map(plain), typeErrors: source.typeErrors.map(plain) }
}

export function locateDefinitions(source: SourceProject, { root, configPath }: SourceCheckRequest): DefinitionLocations {
  return findDefinitionLocations(root, source.files, source.project.getSourceFileOrThrow(configPath))
}
