import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ProjectIR } from '../ir/project-ir.ts'
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
 * Load generated/api/<table>.ts for every table of the model: the route modules the API serves.
 * They hold no type syntax, so Node imports them itself (no loader, no TypeScript); `version`
 * makes `koyalite dev` read them afresh after a change.
 */
export async function loadTableApis(root: string, model: ProjectIR, version?: string): Promise<TableApi[]> {
  const apis: TableApi[] = []
  for (const table of model.tables) {
    const file = path.join(root, 'generated', 'api', `${table.name}.ts`)
    if (!existsSync(file)) {
      throw new KoyaError('KL_DEF_GENERATED_STALE', `generated/api/${table.name}.ts is missing.`, { hint: 'Run `koyalite generate`.' })
    }
    const url = pathToFileURL(file).href + (version === undefined ? '' : `?v=${encodeURIComponent(version)}`)
    const module = (await import(url)) as { default?: TableApi }
    if (module.default?.table !== table.name) {
      throw new KoyaError('KL_DEF_GENERATED_STALE', `generated/api/${table.name}.ts does not describe table "${table.name}".`, { hint: 'Run `koyalite generate` with this version.' })
    }
    apis.push(module.default)
  }
  return apis
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
