import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createChannelRelay } from '../../../engine/runtime/realtime/channel-relay.ts'
import { systemMigrations } from '../../../engine/runtime/modules/index.ts'
import { applySystemSchema } from '../../../engine/runtime/system/system-schema.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-relay-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const ignore = () => {}

/** Two relays on one database file, each with its own connection (as two processes have), on a clock the test moves. */
function pair(settings = { presenceTtlMs: 1000, retainMs: 5000, maxEntries: 100 }) {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.db`)
  const setup = openDatabase(file)
  applySystemSchema(setup, systemMigrations())
  setup.close()
  let now = 1_000_000
  const clock = () => new Date(now)
  const dbs = [openDatabase(file), openDatabase(file), openDatabase(file)]
  const [a, b, c] = dbs.map((db) => createChannelRelay(db, clock, settings))
  const received = (relay: typeof a) => {
    const got: [string, unknown][] = []
    relay!.poll((channel, message) => got.push([channel, JSON.parse(message)]))
    return got
  }
  return { a: a!, b: b!, c: c!, received, advance: (ms: number) => (now += ms), count: () => (dbs[0]!.prepare('SELECT count(*) AS n FROM "_koya_realtime_channel_events"').get() as { n: number }).n }
}

describe('the channel relay between processes (through SQLite)', () => {
  it('delivers what one process publishes to the others, in order, never back to itself', () => {
    const { a, b, received } = pair()
    a.publish('room:1', '{"n":1}')
    b.publish('room:2', '{"n":2}')
    a.publish('room:1', '{"n":3}')
    expect(received(b)).toEqual([['room:1', { n: 1 }], ['room:1', { n: 3 }]])
    expect(received(a)).toEqual([['room:2', { n: 2 }]])
    expect(received(b)).toEqual([])
  })

  it('lists the live members of the other processes, and a member whose process stopped refreshing it leaves once, for everyone', () => {
    const { a, b, c, received, advance } = pair()
    a.present('room:1', { key: `${a.origin}.1`, userId: 'u1', presence: { name: 'Ada' } })
    expect(b.others('room:1')).toEqual([{ key: `${a.origin}.1`, userId: 'u1', presence: { name: 'Ada' } }])
    expect(a.others('room:1')).toEqual([])
    advance(600)
    a.maintain(1_000_600, ignore) // a lives: its member is refreshed
    advance(600)
    expect(b.others('room:1')).toHaveLength(1)
    // a dies (no more refreshes): past the time to live it is gone, and one leave is published.
    advance(1000)
    const expiredHere: [string, unknown][] = []
    b.maintain(1_002_200, (channel, message) => expiredHere.push([channel, JSON.parse(message)]))
    c.maintain(1_002_200, ignore)
    expect(b.others('room:1')).toEqual([])
    const leave = { type: 'presence', channel: 'room:1', joins: [], leaves: [{ key: `${a.origin}.1`, userId: 'u1', presence: { name: 'Ada' } }] }
    // b expired it: b's own members hear of it from maintain, the others' through the relay.
    expect(expiredHere).toEqual([['room:1', leave]])
    expect(received(b)).toEqual([])
    expect(received(c)).toEqual([['room:1', leave]])
  })

  it('keeps the table bounded: old entries are purged, and never more than maxEntries remain', () => {
    const { a, b, count, advance, received } = pair({ presenceTtlMs: 1000, retainMs: 5000, maxEntries: 100 })
    for (let i = 0; i < 250; i++) a.publish('room:1', `{"i":${i}}`)
    b.maintain(1_000_000, ignore)
    expect(count()).toBe(100)
    advance(10_000)
    a.publish('room:1', '{"last":true}')
    b.maintain(1_010_000, ignore)
    expect(count()).toBe(1)
    expect(received(b).at(-1)).toEqual(['room:1', { last: true }])
  })

  it('a process that stops takes its members out of presence, with their leaves published', () => {
    const { a, b, received } = pair()
    a.present('room:9', { key: `${a.origin}.7`, userId: null, presence: {} })
    a.stop()
    expect(b.others('room:9')).toEqual([])
    expect(received(b)).toEqual([['room:9', { type: 'presence', channel: 'room:9', joins: [], leaves: [{ key: `${a.origin}.7`, userId: null, presence: {} }] }]])
  })
})
