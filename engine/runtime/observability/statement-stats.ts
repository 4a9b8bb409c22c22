/**
 * Time spent in SQL, by statement shape. The runtime binds every value as a parameter, so a
 * statement's text is its shape and never holds a value: it is safe to show and to export.
 * Recording one statement is a Map lookup by its text and three number updates.
 */

export interface StatementShapeStats {
  readonly sql: string
  count: number
  totalMs: number
  maxMs: number
}

export interface StatementStats {
  record(sql: string, startMs: number, endMs: number): void
  /** Every statement run so far, and their time. */
  readonly total: { count: number; totalMs: number }
  /** The shapes, by total time, slowest first. */
  slowest(limit: number): StatementShapeStats[]
}

/** Shapes kept (as many as the statement cache holds, twice over). */
const MAX_SHAPES = 1024

/**
 * @example
 * const stats = createStatementStats()
 * statementsOf(db).observe((sql, start, end) => stats.record(sql, start, end))
 */
export function createStatementStats(): StatementStats {
  const shapes = new Map<string, StatementShapeStats>()
  const total = { count: 0, totalMs: 0 }
  return {
    total,
    record(sql, startMs, endMs) {
      const ms = endMs - startMs
      total.count++
      total.totalMs += ms
      let shape = shapes.get(sql)
      if (shape === undefined) {
        // A new shape past the bound replaces the oldest: the slowest are long-lived shapes.
        if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!)
        shape = { sql, count: 0, totalMs: 0, maxMs: 0 }
        shapes.set(sql, shape)
      }
      shape.count++
      shape.totalMs += ms
      if (ms > shape.maxMs) shape.maxMs = ms
    },
    slowest(limit) {
      return [...shapes.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, limit)
    },
  }
}
