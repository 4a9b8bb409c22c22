import type { Project } from 'ts-morph'
import type { KoyaErrorCode, SourceLocation } from '../shared/errors.ts'
import { findDefinitionLocations, type DefinitionLocations } from './definition-locations.ts'
import type { PolicySourceSyntax } from './policy/policy-syntax.ts'
import { readPolicySyntax } from './policy/read-policy-syntax.ts'
import { loadSourceProject, relativePath, type SourceProject } from './source-project.ts'

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

/** What the main thread asks the worker: check a definition, or locate the last one checked. */
export type WorkerRequest =
  | { readonly id: number; readonly kind: 'check'; readonly request: SourceCheckRequest }
  | { readonly id: number; readonly kind: 'locations'; readonly request: SourceCheckRequest }

export type WorkerReply =
  | ({ readonly id: number; readonly kind: 'diagnostics' } & SourceCheckResult)
  | { readonly id: number; readonly kind: 'locations'; readonly locations: DefinitionLocations }
  | { readonly id: number; readonly kind: 'failed'; readonly message: string }

/** What a check finds: the diagnostics, and the policies read from the source (plain data). */
export interface SourceCheckResult {
  readonly syntaxErrors: readonly PlainProblem[]
  readonly typeErrors: readonly PlainProblem[]
  /** Empty when a file does not parse. */
  readonly policies: PolicySourceSyntax
}

/** Projects kept between checks, by definition: a later check re-reads only changed files. */
const MAX_PROJECTS = 4

export class SourceChecker {
  readonly #projects = new Map<string, { project: Project; last: SourceProject }>()

  check(request: SourceCheckRequest): SourceCheckResult {
    const key = keyOf(request)
    const cached = this.#projects.get(key)
    this.#projects.delete(key)
    const source = loadSourceProject(request.root, request.configPath, request.typeCheck, cached?.project)
    this.#projects.set(key, { project: source.project, last: source })
    if (this.#projects.size > MAX_PROJECTS) this.#projects.delete(this.#projects.keys().next().value!)
    const plain = (e: PlainProblem): PlainProblem => ({ code: e.code, message: e.message, at: e.at })
    // Policies are read here, where the program already is: the main thread never parses TypeScript.
    const policies: PolicySourceSyntax =
      source.syntaxErrors.length > 0
        ? { calls: [], problems: [] }
        : readPolicySyntax(source.files.map((file) => ({ file: relativePath(request.root, file.getFilePath()), sourceFile: file.compilerNode })))
    return { syntaxErrors: source.syntaxErrors.map(plain), typeErrors: source.typeErrors.map(plain), policies }
  }

  /** The locations of the definition as last checked. */
  locate(request: SourceCheckRequest): DefinitionLocations {
    const last = this.#projects.get(keyOf(request))?.last ?? loadSourceProject(request.root, request.configPath, false)
    return findDefinitionLocations(request.root, last.files, last.project.getSourceFileOrThrow(request.configPath))
  }
}

function keyOf(request: SourceCheckRequest): string {
  return `${request.root}\0${request.configPath}`
}
