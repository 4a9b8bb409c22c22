import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { ProjectIR } from '../compiler/ir.ts'
import { KoyaError } from '../shared/errors.ts'

const SUPPORTED_VERSION = 1

/** Read generated/model.json: the app as the runtime knows it. */
export function loadModel(root: string): ProjectIR {
  const file = path.join(root, 'generated', 'model.json')
  let model: unknown
  try {
    model = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new KoyaError('KL_DEF_GENERATED_STALE', `generated/model.json is missing or not JSON (${file}).`, { hint: 'Run `koyalite generate` first.', cause })
  }
  if ((model as { version?: unknown }).version !== SUPPORTED_VERSION) {
    throw new KoyaError('KL_DEF_GENERATED_STALE', 'generated/model.json was written by another version of KoyaLite.', { hint: 'Run `koyalite generate` with this version.' })
  }
  return model as ProjectIR
}
