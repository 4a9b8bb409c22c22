import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../helpers/paths.ts'

/**
 * The default destination (stdout) writes lines in batches (log-destination.ts): the lines a
 * process logged are all on its stdout, in order, whether it waited, logged more than a batch,
 * or exited at once with lines still pending.
 */
function runLogger(script: string): string[] {
  const source = `
    import pino from 'pino'
    import { createLogDestination } from ${JSON.stringify(path.join(repoRoot, 'engine/runtime/observability/log-destination.ts'))}
    import { createLogRing } from ${JSON.stringify(path.join(repoRoot, 'engine/runtime/observability/log-ring.ts'))}
    const logger = pino({}, createLogDestination({ ring: createLogRing(10) }))
    ${script}
  `
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 })
  expect(result.stderr).toBe('')
  return result.stdout.split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as { msg: string }).msg)
}

describe('the batched stdout destination', () => {
  it('writes every line, in order, when the process exits right after logging', () => {
    expect(runLogger(`for (let i = 0; i < 5; i++) logger.info('line ' + i); process.exit(0)`)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4'])
  })

  it('writes more than a batch (16 KB) in order, and lines logged after a pause', () => {
    const lines = runLogger(`
      for (let i = 0; i < 2000; i++) logger.info('line ' + i)
      setTimeout(() => logger.info('after a pause'), 300)
    `)
    expect(lines).toHaveLength(2001)
    expect(lines.slice(0, 3)).toEqual(['line 0', 'line 1', 'line 2'])
    expect(lines[1999]).toBe('line 1999')
    expect(lines[2000]).toBe('after a pause')
  })

  it('writes a line within the batch wait while the process keeps running', () => {
    const lines = runLogger(`
      logger.info('early')
      setTimeout(() => { logger.info('late'); setTimeout(() => process.exit(0), 250) }, 250)
    `)
    expect(lines).toEqual(['early', 'late'])
  })
})
