import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { emitStack } from '../../engine/codegen/stack/emit-stack.ts'
import type { StackFeatures } from '../../engine/codegen/stack/stack-features.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { repoRoot } from '../helpers/paths.ts'

/** The reference app's IR (generated/model.json is the IR). */
export const referenceIR = JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'model.json'), 'utf8')) as ProjectIR

export const NO_FEATURES: StackFeatures = { s3Buckets: [], weaviateTables: [], telemetry: false, maxUploadBytes: null, replication: false }

/** Features as storage on S3, Weaviate search and telemetry will report them once they are in the IR. */
export const ALL_FEATURES: StackFeatures = { s3Buckets: ['attachments'], weaviateTables: ['tasks'], telemetry: true, maxUploadBytes: 100 * 1024 * 1024, replication: true }

/** A scratch project root holding the stack files `koyalite generate` writes for these features. */
export function stackProject(features: StackFeatures): { root: string; remove(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koya-stack-'))
  for (const file of emitStack(referenceIR, 'koyalite.ts', features)) {
    mkdirSync(path.dirname(path.join(root, file.path)), { recursive: true })
    writeFileSync(path.join(root, file.path), file.contents)
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) }
}
