/**
 * A cache of at most `max` entries that does nothing to its structure on a hit. A least-recently-
 * used Map (delete and re-insert on every hit) churns V8's hash table: its deleted slots fill it
 * and it is rebuilt every few dozen hits, and under load those tables lived long enough to be
 * promoted to the old generation (issue 21, decision 180). Here a hit only marks the entry; when
 * the cache is full the oldest entry goes, unless it was used since it came in or was last
 * spared, in which case it is spared once more and moved to the back ("second chance", an
 * approximation of LRU that keeps hot entries).
 *
 * @example
 * const cache = new BoundedCache<string, number>(2)
 * cache.set('a', 1); cache.set('b', 2); cache.get('a'); cache.set('c', 3)
 * cache.get('b') // undefined: 'a' was used, so 'b' went
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, { value: V; used: boolean }>()
  readonly #max: number

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError('A BoundedCache holds at least one entry.')
    this.#max = max
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    entry.used = true
    return entry.value
  }

  set(key: K, value: V): void {
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      entry.value = value
      entry.used = true
      return
    }
    if (this.#entries.size >= this.#max) this.#evict()
    this.#entries.set(key, { value, used: false })
  }

  delete(key: K): boolean {
    return this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }

  /** Remove one entry: the oldest not used since it came in or was last spared. */
  #evict(): void {
    // Each spared entry is marked unused and moved to the back, so this ends within size + 1 steps.
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key)
      if (!entry.used) return
      entry.used = false
      this.#entries.set(key, entry)
    }
  }
}
