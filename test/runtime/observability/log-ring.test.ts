import { describe, expect, it } from 'vitest'
import { createLogRing } from '../../../engine/runtime/observability/log-ring.ts'

const line = (n: number, extra: Record<string, unknown> = {}) => `${JSON.stringify({ level: n % 3 === 0 ? 40 : 30, time: n, msg: `line ${n}`, ...extra })}\n`

describe('the log ring', () => {
  it('keeps the last lines, parsed on read, with level, text, after and limit filters', () => {
    const ring = createLogRing(10)
    for (let n = 1; n <= 25; n++) ring.push(line(n))
    expect(ring.written).toBe(25)
    expect(ring.read({}).map((e) => e.msg)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${16 + i}`))
    expect(ring.read({}).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i))
    expect(ring.read({ level: 40 }).map((e) => e.time)).toEqual([18, 21, 24])
    expect(ring.read({ text: 'LINE 2' }).map((e) => e.time)).toEqual([20, 21, 22, 23, 24, 25])
    expect(ring.read({ after: 22 }).map((e) => e.time)).toEqual([23, 24, 25])
    expect(ring.read({ limit: 2 }).map((e) => e.time)).toEqual([24, 25])
    expect(ring.read({ level: 30 })[0]?.line).toEqual({ level: 30, time: 16, msg: 'line 16' })
  })

  it('keeps non-ASCII text exactly', () => {
    const ring = createLogRing(4)
    ring.push(line(1, { who: 'Zoë 🦊 ½' }))
    expect(ring.read({})[0]?.line.who).toBe('Zoë 🦊 ½')
  })

  it('drops the oldest lines first when long lines fill its bytes before its line count', () => {
    const ring = createLogRing(32) // 32 KiB of bytes: about 25 lines of 1.3 KB
    const long = 'x'.repeat(300)
    for (let n = 1; n <= 100; n++) ring.push(line(n, { pad: long.repeat(n % 2 === 0 ? 4 : 3) }))
    const kept = ring.read({})
    expect(kept.length).toBeGreaterThan(15)
    expect(kept.length).toBeLessThan(32)
    // Only the newest lines, in order, each whole (parsed), none from before the bytes wrapped.
    expect(kept.at(-1)?.time).toBe(100)
    const times = kept.map((e) => e.time)
    expect(times).toEqual(Array.from({ length: kept.length }, (_, i) => 101 - kept.length + i))
    for (const entry of kept) expect((entry.line.pad as string).length % 300).toBe(0)
  })

  it('counts a line too long to keep, and keeps the lines around it', () => {
    const ring = createLogRing(4) // 4 KiB: a line over 512 bytes is not kept
    ring.push(line(1))
    ring.push(line(2, { pad: 'y'.repeat(2000) }))
    ring.push(line(3))
    expect(ring.written).toBe(3)
    expect(ring.read({}).map((e) => e.time)).toEqual([1, 3])
  })

  it('hands every line to subscribers until they leave', () => {
    const ring = createLogRing(4)
    const seen: [number, string][] = []
    const leave = ring.subscribe((seq, text) => seen.push([seq, text]))
    ring.push(line(1))
    leave()
    ring.push(line(2))
    expect(seen).toEqual([[1, line(1)]])
  })
})
