import type { ProjectIR } from '../../ir/project-ir.ts'
import { tsTypeOfSchema } from '../../ir/routes/json-schema-type.ts'

/**
 * The app's jobs as SDK types: `JobPayloads` maps each job of `defineConfig({ jobs })` to the
 * payload it takes (the type of its zod `payload` schema, or any JSON value), so
 * `koya.admin.runJob('digest', payload)` is checked per job name.
 *
 * @example
 * printJobTypes(ir) // 'export interface JobPayloads {\n  digest: { workspaceId?: string }\n}\n…'
 */
export function printJobTypes(ir: Pick<ProjectIR, 'jobs'>): string {
  const entries = (ir.jobs ?? []).map((job) => `  ${job.name}: ${job.payload === undefined ? 'JsonValue' : tsTypeOfSchema(job.payload)}`)
  return [
    '// ─── Jobs: the app\'s part ──────────────────────────────────────────────────────────────────────',
    '',
    '/** The jobs of the app (defineConfig({ jobs })) and the payload each takes (its zod `payload` schema, else any JSON). */',
    'export interface JobPayloads {',
    ...entries,
    '}',
    '',
    '/** A job\'s name: what koya.admin.runJob takes. */',
    'export type JobName = keyof JobPayloads & string',
    '',
  ].join('\n')
}
