import type { Project } from 'ts-morph'
import type { KoyaErrorCode, SourceLocation } from '../shared/errors.ts'
import { configOnlyLocations, findDefinitionLocations, type DefinitionLocations } from './definition-locations.ts'
import type { PolicySourceSyntax } from './policy/policy-syntax.ts'
import { readPolicySyntax } from './policy/read-policy-syntax.ts'
import { loadSourceProject, relativePath } from './source-project.ts'

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

/** What the main thread asks the worker: check a definition. */
export interface WorkerRequest {
  readonly id: number
  readonly request: SourceCheckRequest
}

export type WorkerReply =
  | ({ readonly id: number; readonly kind: 'diagnostics' } & SourceCheckResult)
  | { readonly id: number; readonly kind: 'failed'; readonly message: string }

/**
 * What a check finds: the diagnostics, and what the IR is built with that only the source tells
 * (plain data): the policies' predicates and where each definition was written.
 */
export interface SourceCheckResult {
  readonly syntaxErrors: readonly PlainProblem[]
  readonly typeErrors: readonly PlainProblem[]
  /** Empty when a file does not parse. */
  readonly policies: PolicySourceSyntax
  /** Only the config file's top when a file does not parse. */
  readonly locations: DefinitionLocations
}

/** Projects kept between checks, by definition: a later check re-reads only changed files. */
const MAX_PROJECTS = 4

export class SourceChecker {
  readonly #projects = new Map<string, Project>()

  check(request: SourceCheckRequest): SourceCheckResult {
    const key = keyOf(request)
    const cached = this.#projects.get(key)
    this.#projects.delete(key)
    const source = loadSourceProject(request.root, request.configPath, request.typeCheck, cached)
    this.#projects.set(key, source.project)
    if (this.#projects.size > MAX_PROJECTS) this.#projects.delete(this.#projects.keys().next().value!)
    const plain = (e: PlainProblem): PlainProblem => ({ code: e.code, message: e.message, at: e.at })
    const parses = source.syntaxErrors.length === 0
    // Policies and locations are read here, where the program already is: the main thread never
    // parses TypeScript. Locations cost an AST walk (milliseconds, beside the type-check) on every
    // check, so that the IR is built once, with them, whether or not it has problems.
    const policies: PolicySourceSyntax = parses ? readPolicySyntax(source.files.map((file) => ({ file: relativePath(request.root, file.getFilePath()), sourceFile: file.compilerNode }))) : { calls: [], problems: [] }
    const locations = parses ? findDefinitionLocations(request.root, source.files, source.project.getSourceFileOrThrow(request.configPath)) : configOnlyLocations(relativePath(request.root, request.configPath))
    return { syntaxErrors: source.syntaxErrors.map(plain), typeErrors: source.typeErrors.map(plain), policies, locations }
  }
}

function keyOf(request: SourceCheckRequest): string {
  return `${request.root}\0${request.configPath}`
}
