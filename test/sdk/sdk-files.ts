import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { sdkGenerator } from '../../engine/codegen/sdk/emit-sdk.ts'
import type { GeneratedFile } from '../../engine/shared/generated-file.ts'
import { repoRoot } from '../helpers/paths.ts'

/** The reference app's IR, as the server boots from it. */
export function referenceIr(): ProjectIR {
  return JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'model.json'), 'utf8')) as ProjectIR
}

export function emitSdk(ir: ProjectIR): GeneratedFile[] {
  return sdkGenerator.generate({ ir, source: 'koyalite.ts' })
}

/**
 * A scratch directory inside the repository (test/.tmp is git-ignored) holding the emitted SDK
 * as `sdk/` (index.ts, package.json, README.md), next to which tests write their own files.
 */
export function writeSdk(ir: ProjectIR, name: string): { dir: string; index: string; write: (file: string, contents: string) => string; remove: () => void } {
  const dir = path.join(repoRoot, 'test', '.tmp', `sdk-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  const write = (file: string, contents: string) => {
    const target = path.join(dir, file)
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, contents)
    return target
  }
  for (const file of emitSdk(ir)) write(path.join('sdk', path.basename(file.path)), file.contents)
  return { dir, index: path.join(dir, 'sdk', 'index.ts'), write, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
