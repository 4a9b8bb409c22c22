import { existsSync } from 'node:fs'
import { findSourceMap } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import { KoyaError, KoyaErrorList, type SourceLocation } from '../shared/errors.ts'
import { buildProjectIR } from './build-ir.ts'
import { configDefSchema, describeIssue, issuePath, type ValidConfigDef } from './def-schemas.ts'
import { findDefinitionLocations } from './definition-locations.ts'
import type { ProjectIR } from './ir.ts'
import { Problems } from './problems.ts'
import { loadSourceProject, relativePath } from './source-project.ts'

export type * from './ir.ts'
export { parseDuration } from './build-ir.ts'

export interface CompileOptions {
  /** The project root: where koyalite.ts, schema/ and generated/ live. */
  readonly root: string
  /** The config file, relative to root or absolute. Default: `koyalite.ts`. */
  readonly configFile?: string
  /** Skip the TypeScript type-check (the AST is still read for locations). Default: false. */
  readonly skipTypeCheck?: boolean
}

export interface CompileResult {
  readonly ir: ProjectIR
  readonly warnings: readonly KoyaError[]
  /** The config file, relative to root: generated banners name it. */
  readonly configFile: string
}

/**
 * Compile an application definition: type-check it, import it, validate the definitions and
 * build the ProjectIR. Every problem is collected and thrown at once as a KoyaErrorList.
 *
 * @throws KoyaErrorList with KL_DEF_* errors, each at file:line:col.
 */
export async function compileProject(options: CompileOptions): Promise<CompileResult> {
  const root = path.resolve(options.root)
  const configPath = path.resolve(root, options.configFile ?? 'koyalite.ts')
  const configFile = relativePath(root, configPath)
  if (!existsSync(configPath)) {
    throw new KoyaErrorList([new KoyaError('KL_DEF_CONFIG_NOT_FOUND', `No configuration file at ${configFile}.`)])
  }

  const source = loadSourceProject(root, configPath)
  if (source.syntaxErrors.length > 0) throw new KoyaErrorList(source.syntaxErrors)
  const configSource = source.project.getSourceFileOrThrow(configPath)
  const problems = new Problems(findDefinitionLocations(root, source.files, configSource))
  const typeErrors = options.skipTypeCheck ? [] : source.typeErrors

  const config = await importConfig(root, configPath, problems)
  if (config === undefined) throw new KoyaErrorList([...typeErrors, ...problems.errors])
  const ir = buildProjectIR(config, problems)
  const errors = [...typeErrors, ...problems.errors]
  if (errors.length > 0) throw new KoyaErrorList(errors)
  return { ir, warnings: problems.warnings, configFile }
}

/**
 * Build the IR from a definition already in memory (no files, no TypeScript): what tests and
 * tools that construct definitions in code use. Problems have no precise location.
 *
 * @throws KoyaErrorList with KL_DEF_* errors.
 */
export function compileDefinition(config: unknown, source = 'koyalite.ts'): ProjectIR {
  const at = { file: source, line: 1, column: 1 }
  const problems = new Problems({ config: at, configKeys: new Map(), tables: new Map() })
  const parsed = validateConfig(config, problems)
  const ir = parsed === undefined ? undefined : buildProjectIR(parsed, problems)
  if (ir === undefined || problems.errors.length > 0) throw new KoyaErrorList(problems.errors)
  return ir
}

async function importConfig(root: string, configPath: string, problems: Problems): Promise<ValidConfigDef | undefined> {
  let module: { default?: unknown }
  try {
    module = (await tsImport(pathToFileURL(configPath).href, import.meta.url)) as { default?: unknown }
  } catch (cause) {
    // The first line names the problem; machine paths become project-relative ones.
    const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.replaceAll(`${root}${path.sep}`, '').replaceAll(pathToFileURL(root).href + '/', '')
    problems.add('KL_DEF_LOAD_FAILED', `Importing ${problems.locations.config.file} failed: ${message}`, throwSite(root, cause) ?? problems.atConfig())
    return undefined
  }
  return validateConfig(module.default, problems)
}

/**
 * Where in the project's own files an import failed: the innermost stack frame under the root
 * and outside node_modules, as a position in the TypeScript source.
 */
function throwSite(root: string, cause: unknown): SourceLocation | undefined {
  const stack = cause instanceof Error && typeof cause.stack === 'string' ? cause.stack : ''
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (?:.*\()?(.+?):(\d+):(\d+)\)?$/.exec(line)
    if (!frame) continue
    const site = sourcePosition(frame[1]!, Number(frame[2]), Number(frame[3]))
    // Frames such as `node:internal/…` or `<anonymous>` are not files.
    if (site === undefined || !path.isAbsolute(site.file)) continue
    const relative = relativePath(root, site.file)
    if (relative.startsWith('../') || path.isAbsolute(relative) || relative.split('/').includes('node_modules')) continue
    return { file: relative, line: site.line, column: site.column }
  }
  return undefined
}

/**
 * A stack frame's position in the source file. Node prints frames it mapped through tsx's
 * source maps as plain paths; a frame still printed as the module's URL was not mapped (a test
 * runner or a library replaced Error.prepareStackTrace), so it is mapped here.
 */
function sourcePosition(where: string, line: number, column: number): { file: string; line: number; column: number } | undefined {
  if (!where.startsWith('file:')) return { file: where, line, column }
  const origin = findSourceMap(where)?.findOrigin(line, column)
  if (origin && 'fileName' in origin) return { file: filePathOf(origin.fileName), line: origin.lineNumber, column: origin.columnNumber }
  return { file: filePathOf(where), line, column }
}

function filePathOf(where: string): string {
  try {
    return where.startsWith('file:') ? fileURLToPath(where) : where
  } catch {
    return where
  }
}

function validateConfig(value: unknown, problems: Problems): ValidConfigDef | undefined {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'config') {
    problems.add('KL_DEF_NO_CONFIG_EXPORT', `${problems.locations.config.file} has no default export made by defineConfig().`, problems.atConfig())
    return undefined
  }
  const parsed = configDefSchema.safeParse(value)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.add('KL_DEF_INVALID', `defineConfig(): ${describeIssue(issue)}.`, problems.atConfig(issuePath(issue).join('.')))
    }
    return undefined
  }
  return value as ValidConfigDef
}
