// Cold `koyalite generate`: a fresh process each run, generated/ removed first, so every run
// type-checks, imports, builds the IR and writes model, types and the first migration.
// Usage: node bench/generate/run.ts [runs=7]
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeSyntheticProject } from './synthetic.ts'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const bin = path.join(repo, 'bin', 'koyalite.js')
const out = path.join(repo, 'bench', 'generate', 'out') // inside the repo so 'koyalite' resolves here
const runs = Number(process.argv[2] ?? 7)

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const reference = path.join(out, 'reference')
for (const entry of ['koyalite.ts', 'schema', 'tsconfig.json']) cpSync(path.join(repo, entry), path.join(reference, entry), { recursive: true })
const synthetic = path.join(out, 'synthetic-100')
writeSyntheticProject(synthetic, 100)

function time(root: string, env: NodeJS.ProcessEnv): number {
  rmSync(path.join(root, 'generated'), { recursive: true, force: true })
  const started = performance.now()
  const result = spawnSync('node', [bin, 'generate'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`generate failed in ${root}:\n${result.stdout}\n${result.stderr}`)
  return ms
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! }
}

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'koya-compile-cache-'))
const modes = {
  'no compile cache': { NODE_DISABLE_COMPILE_CACHE: '1' },
  'compile cache warm': { NODE_COMPILE_CACHE: cacheDir },
} as const
const rows: string[] = []
for (const [project, root] of [['reference app (6 tables)', reference], ['synthetic (100 tables)', synthetic]] as const) {
  for (const [mode, env] of Object.entries(modes)) {
    time(root, env) // warm the OS file cache (and the compile cache in that mode)
    const s = stats(Array.from({ length: runs }, () => time(root, env)))
    rows.push(`| ${project} | ${mode} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)} | ${s.max.toFixed(0)} |`)
  }
}
rmSync(cacheDir, { recursive: true, force: true })

console.log(`koyalite generate, wall time of the whole process in ms, ${runs} runs each (node ${process.version}, ${os.cpus().length} cores)\n`)
console.log('| project | mode | median | min | max |\n| --- | --- | ---: | ---: | ---: |')
console.log(rows.join('\n'))
