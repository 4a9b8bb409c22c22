import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { StudioDevEdits, StudioEdit, StudioEditResult } from '../../ir/routes/studio-dev-routes.ts'
import { formatKoyaError, isKoyaError, KoyaError, KoyaErrorList } from '../../shared/errors.ts'
import type { GenerateProjectResult } from '../generate-project.ts'
import { applyEdit, openProject } from '../../compiler/code-edits.ts'
import { readEnvNames, writeEnvValues } from './env-file.ts'
import { unifiedDiff } from './text-diff.ts'

/**
 * The edits Studio makes under `koyalite dev` (schema and policies as code): ts-morph writes the
 * edit into the project's files, then `regenerate` (the dev loop's own generate, queued with its
 * rebuilds) compiles, emits and plans the migration. When it fails the files are put back as they
 * were and the compiler's errors are answered; the dev loop, which watches the same files, then
 * migrates and reloads (or, after a restore, reloads the unchanged project).
 *
 * @example
 * createStudioDevEdits(root, () => generateProject({ root })).apply({ kind: 'addColumn', table: 'tasks', column: { name: 'points', type: 'int', optional: true } })
 *
 * `.env` edits (env-file.ts) are written, then `onEnvWritten` tells the dev loop to reload the app
 * with them.
 */
export function createStudioDevEdits(root: string, regenerate: () => Promise<GenerateProjectResult>, onEnvWritten: (values: Readonly<Record<string, string | null>>) => void = () => {}): StudioDevEdits {
  return {
    envFile: () => readEnvNames(root),
    async writeEnv(values) {
      const written = writeEnvValues(root, values)
      onEnvWritten(values)
      return written
    },
    async apply(edit: StudioEdit): Promise<StudioEditResult> {
      const project = openProject(root)
      const before = new Map(project.getSourceFiles().map((file) => [file.getFilePath() as string, file.getFullText()]))
      applyEdit(project, root, edit)
      const changed = project.getSourceFiles()
        .map((file) => ({ file: file.getFilePath() as string, old: before.get(file.getFilePath()) ?? null, text: file.getFullText() }))
        .filter((f) => f.old !== f.text)
      for (const f of changed) {
        mkdirSync(path.dirname(f.file), { recursive: true })
        writeFileSync(f.file, f.text)
      }
      try {
        const result = await regenerate()
        const sql = result.migration?.files.find((file) => file.path.endsWith('.sql'))
        return {
          files: changed.map((f) => ({ path: relative(root, f.file), diff: unifiedDiff(relative(root, f.file), f.old, f.text) })),
          migration: result.migration ? { name: result.migration.name, sql: sql?.contents ?? '' } : null,
        }
      } catch (error) {
        for (const f of changed) {
          if (f.old === null) rmSync(f.file, { force: true })
          else writeFileSync(f.file, f.old)
        }
        throw refused(error)
      }
    },
  }
}

const relative = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/')

function refused(error: unknown): KoyaError {
  const problems = error instanceof KoyaErrorList ? error.errors.map(formatKoyaError) : isKoyaError(error) ? [formatKoyaError(error)] : [error instanceof Error ? error.message : String(error)]
  return new KoyaError('KL_API_STUDIO_EDIT_INVALID', `The edited project does not generate, so the files were put back as they were:\n${problems.join('\n')}`, {
    hint: 'Fix the edit (the compiler\'s locations are in the edited files as they would have been) and try again.',
    cause: error,
  })
}

