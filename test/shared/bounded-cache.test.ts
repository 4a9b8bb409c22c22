import { describe, expect, it } from 'vitest'
import { BoundedCache } from '../../engine/shared/bounded-cache.ts'

describe('BoundedCache', () => {
  it('holds at most max entries, evicting the oldest unused one first', () => {
    const cache = new BoundedCache<string, number>(3)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('c', 3)
    expect(cache.get('a')).toBe(1) // a is used: it is spared once
    cache.set('d', 4)
    expect(cache.size).toBe(3)
    expect(cache.get('b')).toBeUndefined()
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4])
  })

  it('evicts even when every entry was used (each is spared once), and keeps the hot one', () => {
    const cache = new BoundedCache<number, string>(4)
    for (let i = 0; i < 4; i++) cache.set(i, String(i))
    for (let i = 0; i < 4; i++) cache.get(i)
    cache.set(4, '4')
    expect(cache.size).toBe(4)
    // A key read before every insertion stays however many others come and go.
    for (let i = 5; i < 100; i++) {
      cache.get(2)
      cache.set(i, String(i))
      expect(cache.size).toBe(4)
    }
    expect(cache.get(2)).toBe('2')
    expect(cache.get(99)).toBe('99')
  })

  it('replaces a value in place, deletes and clears', () => {
    const cache = new BoundedCache<string, number>(2)
    cache.set('a', 1)
    cache.set('a', 2)
    expect(cache.size).toBe(1)
    expect(cache.get('a')).toBe(2)
    expect(cache.delete('a')).toBe(true)
    expect(cache.get('a')).toBeUndefined()
    cache.set('b', 1)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(() => new BoundedCache(0)).toThrow(RangeError)
  })
})
