import { describe, expect, it } from 'vitest'
import { uuidv7 } from '../../engine/shared/uuid.ts'

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10, the time in the first 48 bits', () => {
    const now = Date.UTC(2026, 10, 25, 8, 0, 0, 123)
    const id = uuidv7(now)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now)
  })

  it('increases strictly, within one millisecond and across many', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => uuidv7(Date.UTC(2030, 0, 1) + Math.floor(i / 5000)))
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('stays increasing when the clock steps back', () => {
    const a = uuidv7(Date.UTC(2031, 0, 1))
    const b = uuidv7(Date.UTC(2031, 0, 1) - 1000)
    expect(b > a).toBe(true)
  })
})
