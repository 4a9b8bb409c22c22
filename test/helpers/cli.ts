import { cpSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { CliIO } from '../../engine/cli/io.ts'
import { main } from '../../engine/cli/main.ts'
import { fixturesDir, repoRoot } from './paths.ts'

export interface CliRun {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** Run `koyalite <argv>` in-process in `cwd`, capturing its output. */
export async function runCli(cwd: string, argv: readonly string[], env: Record<string, string | undefined> = {}, color = false): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), color, cwd, env }
  const code = await main(argv, io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/**
 * A scratch copy of a fixture project inside the repository (test/.tmp is git-ignored), so
 * `import … from 'koyalite'` resolves to this checkout. Removed by the returned function.
 */
export function scratchProject(fixture: string, name: string): { root: string; remove: () => void } {
  const root = path.join(repoRoot, 'test', '.tmp', `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(path.dirname(root), { recursive: true })
  cpSync(path.join(fixturesDir, fixture), root, { recursive: true, filter: (src) => !src.includes(`${path.sep}generated`) })
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) }
}
