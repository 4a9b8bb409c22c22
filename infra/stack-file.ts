import { readFileSync } from 'fs'

/**
 * generated/stack.json as written by `koyalite generate` (engine/codegen/stack/stack-model.ts is
 * the writer's side). The program reads nothing else about the app.
 */
export interface StackFile {
  readonly version: 1
  readonly app: string
  readonly api: {
    readonly port: number
    readonly healthPath: string
    readonly dataVolume: string
    readonly dataPath: string
    readonly env: Readonly<Record<string, string>>
    readonly config: readonly StackEnv[]
    readonly memoryMb: number
  }
  readonly gateway: {
    readonly image: string
    readonly config: FileMount
    readonly routes: readonly { readonly path: string; readonly service: string }[]
    readonly command: string
    readonly certbot: { readonly image: string; readonly command: string }
  }
  readonly services: readonly StackService[]
  readonly secrets: readonly StackEnv[]
  readonly volumes: readonly string[]
}

export interface StackEnv {
  readonly name: string
  readonly secret: boolean
  readonly required: boolean
  readonly usedBy: string
}

export interface FileMount {
  /** Relative to the project root. */
  readonly source: string
  readonly path: string
}

export interface StackService {
  readonly name: string
  readonly image: string
  readonly command: readonly string[]
  readonly port: number
  readonly volumes: readonly { readonly volume: string; readonly path: string }[]
  readonly files: readonly FileMount[]
  /** Values may hold `${KOYA_DOMAIN}`, replaced by the stack's domain. */
  readonly env: Readonly<Record<string, string>>
  /** Variable → the stack secret that holds its value. */
  readonly secretEnv: Readonly<Record<string, string>>
  readonly memoryMb: number
  readonly healthcheck: readonly string[] | null
}

/** Read and check generated/stack.json; a missing or foreign file says how to make it. */
export function readStackFile(file: string): StackFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new Error(`${file} does not exist: run \`npx koyalite generate\` in the project root first.`)
  }
  const stack = JSON.parse(text) as Partial<StackFile>
  if (stack.version !== 1) {
    throw new Error(`${file} has version ${String(stack.version)}; this program reads version 1: update infra/ with the koyalite version that wrote it.`)
  }
  for (const key of ['app', 'api', 'gateway', 'services', 'secrets', 'volumes'] as const) {
    if (stack[key] === undefined) throw new Error(`${file} has no "${key}": run \`npx koyalite generate\` again.`)
  }
  return stack as StackFile
}
