import { existsSync } from 'node:fs'
import path from 'node:path'
import { KoyaError, KoyaErrorList } from '../shared/errors.ts'
import { buildBuckets, checkFileColumns } from './build-buckets.ts'
import { buildProjectIR } from './build-ir.ts'
import { configDefSchema, describeIssue, issuePath, type ValidConfigDef } from './def-schemas.ts'
import { configOnlyLocations, type DefinitionLocations } from './definition-locations.ts'
import { importDefinition, type ImportedDefinition } from './import-definition.ts'
import type { ProjectIR } from '../ir/project-ir.ts'
import { buildPolicies, policiesDefsOf } from './policy/build-policies.ts'
import { checkPhiReadPolicies } from './build-compliance.ts'
import { readPolicySyntaxFromDefs } from './policy/compile-predicate.ts'
import type { PolicySourceSyntax } from './policy/policy-syntax.ts'
import { Problems } from './problems.ts'
import type { PlainProblem } from './source-check.ts'
import { startSourceCheck } from './source-check-client.ts'

export type * from '../ir/project-ir.ts'
export { parseDuration, parseDurationMs } from '../shared/durations.ts'
export { bundleHandlers, type BundleHandlersOptions } from './bundle-handlers.ts'

export interface CompileOptions {
  /** The project root: where koyalite.ts, schema/ and generated/ live. */
  readonly root: string
  /** The config file, relative to root or absolute. Default: `koyalite.ts`. */
  readonly configFile?: string
  /** Skip the TypeScript type-check (the source is still parsed, for the policies and the locations). Default: false. */
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
  const configFile = path.relative(root, configPath).split(path.sep).join('/')
  if (!existsSync(configPath)) {
    throw new KoyaErrorList([new KoyaError('KL_DEF_CONFIG_NOT_FOUND', `No configuration file at ${configFile}.`)])
  }

  // The type-check runs on a worker thread while this one imports the definition. The IR is built
  // once, after both: it needs what only the source tells (the policies' predicates, and where
  // each definition was written, for the problems it finds).
  const check = startSourceCheck({ root, configPath, typeCheck: !(options.skipTypeCheck ?? false) })
  const imported = await importDefinition(root, configPath)
  const { syntaxErrors, typeErrors, policies, locations } = await check.diagnostics
  if (syntaxErrors.length > 0) throw new KoyaErrorList(syntaxErrors.map(toKoyaError))
  const { ir, problems } = buildFromImport(root, imported, locations, policies)
  const errors = [...typeErrors.map(toKoyaError), ...problems.errorsBeside(typeErrors)]
  if (errors.length > 0 || ir === undefined) throw new KoyaErrorList(errors)
  return { ir, warnings: problems.warnings, configFile }
}

/** Build the IR from the imported definition, with the policies read from its source. */
function buildFromImport(root: string, imported: ImportedDefinition, locations: DefinitionLocations, policySyntax: PolicySourceSyntax): { ir: ProjectIR | undefined; problems: Problems } {
  const problems = new Problems(locations)
  if (!imported.ok) {
    problems.add('KL_DEF_LOAD_FAILED', `Importing ${locations.config.file} failed: ${imported.message}`, imported.at ?? problems.atConfig())
    return { ir: undefined, problems }
  }
  const config = validateConfig(imported.value, problems)
  if (config === undefined) return { ir: undefined, problems }
  const ir = buildProjectIR(config, problems, root)
  // Built even without policies in the config: a policies() call not passed to it is a problem.
  return { ir: withBuckets({ ...ir, policies: buildPolicies(policiesDefsOf(config.policies), policySyntax, ir.tables, ir.roles, problems, ir.consents) }, config, problems), problems }
}

/** The IR with `buckets` when the config has storage (absent otherwise, so model.json is unchanged). */
function withBuckets(ir: ProjectIR, config: ValidConfigDef, problems: Problems): ProjectIR {
  // Here because this runs after the policies are built, on both paths.
  checkPhiReadPolicies(ir, problems)
  const buckets = buildBuckets(config.storage, ir.tables, ir.roles, problems)
  checkFileColumns(ir.tables, buckets, problems)
  return buckets === undefined ? ir : { ...ir, buckets }
}

function toKoyaError(problem: PlainProblem): KoyaError {
  return new KoyaError(problem.code, problem.message, problem.at === undefined ? {} : { at: problem.at })
}

/**
 * Build the IR from a definition already in memory (no files): what tests and tools that
 * construct definitions in code use. Problems have no precise location. Policies are read from
 * the predicate functions themselves (`toString()`, which loads TypeScript on this thread):
 * their locations are `<table.operation>:line:col` within the function's text, and code a tool
 * rewrote (coverage instrumentation, minification) may not compile.
 *
 * @throws KoyaErrorList with KL_DEF_* and KL_POLICY_* errors.
 */
export function compileDefinition(config: unknown, source = 'koyalite.ts'): ProjectIR {
  const problems = new Problems(configOnlyLocations(source))
  const parsed = validateConfig(config, problems)
  let ir = parsed === undefined ? undefined : buildProjectIR(parsed, problems)
  const defs = policiesDefsOf(parsed?.policies)
  if (ir !== undefined && defs.length > 0) ir = { ...ir, policies: buildPolicies(defs, readPolicySyntaxFromDefs(defs), ir.tables, ir.roles, problems, ir.consents) }
  if (ir !== undefined && parsed !== undefined) ir = withBuckets(ir, parsed, problems)
  if (ir === undefined || problems.errors.length > 0) throw new KoyaErrorList(problems.errors)
  return ir
}

function validateConfig(value: unknown, problems: Problems): ValidConfigDef | undefined {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'config') {
    problems.add('KL_DEF_NO_CONFIG_EXPORT', `${problems.locations.config.file} has no default export made by defineConfig().`, problems.atConfig())
    return undefined
  }
  const parsed = configDefSchema.safeParse(value)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.addShapeIssue('KL_DEF_INVALID', `defineConfig(): ${describeIssue(issue)}.`, problems.atConfig(issuePath(issue).join('.')))
    }
    return undefined
  }
  return value as ValidConfigDef
}
