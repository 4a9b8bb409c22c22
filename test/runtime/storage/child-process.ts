import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))

export interface ChildServer {
  readonly url: string
  readonly token: string
  readonly pid: number
  readonly process: ChildProcess
  /** Resident memory in bytes (Linux /proc). */
  rss(): number
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Start child-server.ts on `dir` (with `env` added, e.g. KOYA_STORAGE_DRIVER=s3) and wait (at most 120 s) for its first line. */
export async function startChildServer(dir: string, env: Readonly<Record<string, string>> = {}): Promise<ChildServer> {
  // V8's young generation capped as `koyalite start` caps it (bin/koyalite.js, decision 87): the
  // server's RSS under a burst is then what users run, not the nursery growing to its default.
  const child = spawn(process.execPath, ['--max-semi-space-size=8', '--import', 'tsx', path.join(HERE, 'child-server.ts')], { env: { ...process.env, ...env, KOYA_TEST_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
  let errors = ''
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`child server did not start: ${errors}`)), 120_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const end = out.indexOf('\n')
      if (end !== -1) {
        clearTimeout(timer)
        resolve(out.slice(0, end))
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`child server exited (${code}): ${errors}`))
    })
  })
  const info = JSON.parse(line) as { url: string; token: string; pid: number }
  return {
    ...info,
    process: child,
    rss() {
      const status = readFileSync(`/proc/${info.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill(signal)
      await exited
    },
  }
}
