import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'

/** Start a long-running koyalite command; resolves once its output matches `ready`. */
export function startProcess(command: string, args: string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcessWithoutNullStreams; match: RegExpMatchArray; output: () => string }> {
  const child = spawn(command, args, { cwd, env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1' } })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out waiting for ${ready}; output:\n${output}`))
    }, 45_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(ready)
      if (match) {
        clearTimeout(timer)
        resolve({ child, match, output: () => output })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code} before ready; output:\n${output}`))
    })
  }).then((value) => {
    // onData goes on collecting both streams after ready (a second listener would double every line).
    child.removeAllListeners('exit')
    return { ...(value as { child: ChildProcessWithoutNullStreams; match: RegExpMatchArray }), output: () => output }
  })
}

export function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)))
}

