import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import { KoyaError, KoyaErrorList } from '../shared/errors.ts'
import { buildProjectIR } from './build-ir.ts'
import { configDefSchema, describeIssue, type ValidConfigDef } from './def-schemas.ts'
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

  const config = await importConfig(configPath, problems)
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

async function importConfig(configPath: string, problems: Problems): Promise<ValidConfigDef | undefined> {
  let module: { default?: unknown }
  try {
    module = (await tsImport(pathToFileURL(configPath).href, import.meta.url)) as { default?: unknown }
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause)
    problems.add('KL_DEF_LOAD_FAILED', `Importing ${problems.locations.config.file} failed: ${message.split('\n')[0]}`, problems.atConfig())
    return undefined
  }
  return validateConfig(module.default, problems)
}

function validateConfig(value: unknown, problems: Problems): ValidConfigDef | undefined {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'config') {
    problems.add('KL_DEF_NO_CONFIG_EXPORT', `${problems.locations.config.file} has no default export made by defineConfig().`, problems.atConfig())
    return undefined
  }
  const parsed = configDefSchema.safeParse(value)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = typeof issue.path[0] === 'string' ? issue.path[0] : undefined
      problems.add('KL_DEF_INVALID', `defineConfig(): ${describeIssue(issue)}.`, problems.atConfig(key))
    }
    return undefined
  }
  return value as ValidConfigDef
}
