import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import type { ProjectIR } from '../compiler/ir.ts'
import { KoyaError } from '../shared/errors.ts'
import type { TableApi } from './rest/routes.ts'

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

/**
 * Load generated/api: the route modules of the tables the API serves. They are TypeScript the
 * generator wrote; tsx loads them (esbuild, not the TypeScript compiler).
 */
export async function loadTableApis(root: string): Promise<TableApi[]> {
  const file = path.join(root, 'generated', 'api', 'index.ts')
  if (!existsSync(file)) {
    throw new KoyaError('KL_DEF_GENERATED_STALE', 'generated/api/index.ts is missing.', { hint: 'Run `koyalite generate` first.' })
  }
  const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown }
  if (!Array.isArray(module.default)) {
    throw new KoyaError('KL_DEF_GENERATED_STALE', 'generated/api/index.ts does not export the list of route modules.', { hint: 'Run `koyalite generate` with this version.' })
  }
  return module.default as TableApi[]
}

export interface GeneratedDocs {
  readonly openapi: string | undefined
  readonly docsPage: string | undefined
}

/** generated/openapi.json and generated/docs/index.html, served at /openapi.json and /docs. */
export function loadGeneratedDocs(root: string): GeneratedDocs {
  const read = (...parts: string[]) => {
    const file = path.join(root, 'generated', ...parts)
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined
  }
  return { openapi: read('openapi.json'), docsPage: read('docs', 'index.html') }
}
