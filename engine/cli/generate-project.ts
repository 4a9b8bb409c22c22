import { emitArtifacts } from '../codegen/index.ts'
import { bundleHandlers, compileProject } from '../compiler/index.ts'
import type { ProjectIR } from '../ir/project-ir.ts'
import { planMigration, readMigrations, type PlannedMigration } from '../migrate/index.ts'
import { KoyaError } from '../shared/errors.ts'
import type { GeneratedFile } from '../shared/generated-file.ts'
import { compareFiles, writeFiles, type FileChange } from './write-files.ts'

export interface GenerateProjectOptions {
  readonly root: string
  readonly configFile?: string
  readonly allowDataLoss?: boolean
  /** Compare with disk and throw KL_DEF_GENERATED_STALE instead of writing. */
  readonly check?: boolean
}

export interface GenerateProjectResult {
  readonly ir: ProjectIR
  readonly migration: PlannedMigration | undefined
  readonly changes: readonly FileChange[]
  readonly warnings: readonly KoyaError[]
}

/** compile → emit → bundle user code → plan the next migration → write (or, with `check`, compare). */
export async function generateProject(options: GenerateProjectOptions): Promise<GenerateProjectResult> {
  const { ir, warnings, configFile } = await compileProject({ root: options.root, ...(options.configFile ? { configFile: options.configFile } : {}) })
  const artifacts: GeneratedFile[] = emitArtifacts({ ir, source: configFile })
  const bundles = await bundleHandlers({ root: options.root, configFile, ir })
  const migration = planMigration(readMigrations(options.root), ir, { allowDataLoss: options.allowDataLoss ?? false, source: configFile })
  const files = [...artifacts, ...bundles, ...(migration?.files ?? [])]
  if (options.check) {
    const changes = compareFiles(options.root, files)
    if (changes.length > 0) {
      const why = { created: 'missing', changed: 'differs', removed: 'no longer generated' } as const
      throw new KoyaError('KL_DEF_GENERATED_STALE', `generated/ is out of date: ${changes.map((c) => `${c.path} (${why[c.state]})`).join(', ')}.`)
    }
    return { ir, migration, changes, warnings }
  }
  return { ir, migration, changes: writeFiles(options.root, files), warnings }
}
