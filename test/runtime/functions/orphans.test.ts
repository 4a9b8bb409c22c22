import { readFileSync } from 'node:fs'
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../../helpers/paths.ts'
import { denoPidsUnder, killDenoUnder, waitFor } from './functions-fixture.ts'

describe('functions: kill -9 of the server', () => {
  let child: ChildProcess | undefined
  let workDir = ''
  afterAll(() => {
    child?.kill('SIGKILL')
    if (workDir !== '') killDenoUnder(workDir)
  })

  it('leaves no Deno process behind, not even one spinning in an infinite loop', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/runtime/functions/crash-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
    const started = await new Promise<{ url: string; workDir: string }>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000)
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const line = out.split('\n').find((l) => l.startsWith('{'))
        if (line !== undefined) {
          clearTimeout(timer)
          resolve(JSON.parse(line) as { url: string; workDir: string })
        }
      })
    })
    workDir = started.workDir
    expect(await (await fetch(`${started.url}/functions/spin`)).text()).toBe('alive')
    // One worker spins for ever (its call's limits are minutes away), the others wait idle.
    void fetch(`${started.url}/functions/spin?spin`).catch(() => {})
    await waitFor(() => denoPidsUnder(workDir).length >= 2, 30_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const pids = denoPidsUnder(workDir)
    child.kill('SIGKILL')
    // stdin closes with the server: each worker's supervisor thread sees it and exits.
    await waitFor(() => denoPidsUnder(workDir).length === 0, 15_000)
    expect(pids.filter((pid) => isAlive(pid))).toEqual([])
  }, 120_000)
})

/** Running (a zombie, dead and waiting for its new parent to reap it, is not). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
