import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'

let t: TestApp
let url: string
beforeAll(async () => {
  t = await referenceApp()
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(() => t.close())

/** Run a command without blocking the event loop the server answers on. */
function run(command: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (status) => resolve({ status, stdout, stderr }))
  })
}

describe('the generated SDK under Deno', () => {
  it('type-checks under Deno\'s own TypeScript (strict, no Node types)', async () => {
    const result = await run(path.join(repoRoot, 'node_modules', '.bin', 'deno'), ['check', '--no-config', '--no-lock', path.join(repoRoot, 'test', 'sdk', 'deno', 'smoke.ts')])
    expect(result.status, result.stderr).toBe(0)
  })

  it('creates, lists and reports errors against a live server, unchanged', async () => {
    const deno = path.join(repoRoot, 'node_modules', '.bin', 'deno')
    const script = path.join(repoRoot, 'test', 'sdk', 'deno', 'smoke.ts')
    const result = await run(deno, ['run', '--no-config', '--no-lock', '--allow-net=127.0.0.1', script, url, SERVICE_KEY])
    expect(result.status, result.stderr).toBe(0)
    const output = JSON.parse(result.stdout) as { created: string; found: { id: string; displayName: string }[]; refused: string }
    expect(output.found).toEqual([{ id: output.created, displayName: 'Deno' }])
    expect(output.refused).toBe('401 KL_API_UNAUTHORIZED')
  })
})
