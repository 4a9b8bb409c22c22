import type { WrkResult } from './wrk.ts'

/** Milliseconds as the tables print them: two decimals under 10, one above. */
export const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1))
export const rate = (value: number) => value.toFixed(0)

/**
 * Measure two servers `rounds` times each, alternating which goes first (so a slow spell of the
 * machine does not always hit one side), and answer the best round of each, in their order.
 * Every round is logged to stderr under `label`.
 *
 * @example
 * const [base, koya] = await bestOfRounds([baseline, koyalite], 3, 'get c=32', (server) => measure(server, 'get', 32))
 */
export async function bestOfRounds<S extends { readonly name: string }>(
  servers: readonly [S, S],
  rounds: number,
  label: string,
  measure: (server: S) => Promise<WrkResult>,
): Promise<[WrkResult, WrkResult]> {
  const results: [WrkResult[], WrkResult[]] = [[], []]
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0]
    for (const i of order) {
      const server = servers[i]!
      const result = await measure(server)
      results[i]!.push(result)
      console.error(`${label} round ${round + 1} ${server.name}: ${rate(result.requestsPerSecond)} req/s, p50 ${ms(result.p50Ms)} ms, p99 ${ms(result.p99Ms)} ms`)
    }
  }
  const best = (list: readonly WrkResult[]) => list.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a))
  return [best(results[0]), best(results[1])]
}
