import Fastify from 'fastify'
import pino from 'pino'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { LazyChildLogger } from '../../../engine/runtime/http/request-log.ts'

/** A pino logger writing into an array of parsed lines. */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>); done() } })
  return { logger: pino({ level: 'info' }, stream), lines }
}

describe('the lazy request logger', () => {
  it('makes the pino child only when something logs, with the same bindings', () => {
    const { logger, lines } = capture()
    let made = 0
    const lazy = new LazyChildLogger(() => (made++, logger.child({ reqId: 'r1' })))
    expect(made).toBe(0)
    lazy.warn({ n: 1 }, 'first')
    lazy.info('second %s', 'line')
    lazy.debug('below the level')
    expect(made).toBe(1)
    expect(lines.map((l) => [l.reqId, l.msg, l.level])).toEqual([['r1', 'first', 40], ['r1', 'second line', 30]])
    expect(lines[0]!.n).toBe(1)
    expect(lazy.level).toBe('info')
    lazy.child({ step: 2 }).error('from a grandchild')
    expect(lines.at(-1)).toMatchObject({ reqId: 'r1', step: 2, msg: 'from a grandchild' })
  })

  it('is what Fastify hands a route as request.log: a request that logs gets its id, one that does not makes no child', async () => {
    const { logger, lines } = capture()
    let made = 0
    const app = Fastify({
      loggerInstance: logger,
      disableRequestLogging: true,
      childLoggerFactory: (parent, bindings, options) => new LazyChildLogger(() => (made++, parent.child(bindings, options))) as unknown as typeof parent,
    })
    app.get('/quiet', async () => ({ ok: true }))
    app.get('/loud', async (request) => {
      request.log.info({ route: 'loud' }, 'handler says')
      return { ok: true }
    })
    await app.inject({ url: '/quiet' })
    expect(made).toBe(0)
    const answer = await app.inject({ url: '/loud' })
    expect(answer.statusCode).toBe(200)
    expect(made).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ msg: 'handler says', route: 'loud' })
    expect(typeof lines[0]!.reqId).toBe('string')
    await app.close()
  })
})
