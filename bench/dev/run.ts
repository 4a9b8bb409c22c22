// `koyalite dev`: time from saving a schema change to the new route being served.
// Each edit adds a table; the clock stops when GET /api/<table> answers 401 (route exists,
// asks for credentials) instead of 404. Usage: node bench/dev/run.ts [edits=8]
import { spawn } from 'node:child_process'
import { appendFileSync, cpSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const out = path.join(repo, 'bench', 'dev', 'out') // inside the repo so 'koyalite' resolves here
const app = path.join(out, 'reference')
const edits = Number(process.argv[2] ?? 8)

rmSync(out, { recursive: true, force: true })
mkdirSync(app, { recursive: true })
for (const entry of ['koyalite.ts', 'schema', 'tsconfig.json', 'generated']) cpSync(path.join(repo, entry), path.join(app, entry), { recursive: true })

const child = spawn('node', [path.join(repo, 'bin', 'koyalite.js'), 'dev', '--port', '0', '--db', path.join(out, 'dev.db')], {
  cwd: app,
  env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1' },
})
let output = ''
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
const stop = setTimeout(() => {
  child.kill('SIGKILL')
  console.error(`timed out; output:\n${output}`)
  process.exit(1)
}, 120_000)

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 5))
}

try {
  await until(() => /dev server on (http:\/\/\S+)/.test(output))
  const url = /dev server on (http:\/\/\S+);/.exec(output)![1]!
  const samples: number[] = []
  for (let i = 0; i < edits; i++) {
    const name = `bench_${i}`
    const started = performance.now()
    appendFileSync(path.join(app, 'schema', 'tasks.ts'), `\nexport const ${name} = table('${name}', { label: t.text().max(40) })\n`)
    appendFileSync(path.join(app, 'schema', 'index.ts'), `export { ${name} } from './tasks'\n`)
    await until(async () => (await fetch(`${url}/api/${name}`).catch(() => undefined))?.status === 401)
    samples.push(performance.now() - started)
    await new Promise((r) => setTimeout(r, 200)) // let the watcher settle between edits
  }
  const sorted = [...samples].sort((a, b) => a - b)
  console.log(`koyalite dev, reference app: save → new route served, ${edits} edits (each adds a table and its migration)`)
  console.log(`first ${samples[0]!.toFixed(0)} ms; median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms; min ${sorted[0]!.toFixed(0)} ms; max ${sorted.at(-1)!.toFixed(0)} ms`)
} finally {
  clearTimeout(stop)
  child.kill('SIGTERM')
}
