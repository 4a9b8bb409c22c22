// A server with functions in a process of its own, for the kill -9 test: prints its URL and
// work dir as one JSON line once it listens.
import { functionsApp } from './functions-fixture.ts'

const SPIN = `export default async (req) => {
  if (new URL(req.url).searchParams.has('spin')) while (true) {}
  return new Response('alive')
}`

const t = await functionsApp([{ name: 'spin', code: SPIN, timeoutMs: 120_000 }], { functions: { minWorkers: 2, cpuLimitMs: 120_000 } })
process.stdout.write(`${JSON.stringify({ url: t.url, workDir: t.workDir })}\n`)
