/** Durations written in definitions: `'500ms'`, `'10s'`, `'30m'`, `'12h'`, `'7d'`. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration in milliseconds. `'500ms'` → 500, `'30m'` → 1 800 000. Throws RangeError on anything else. */
export function parseDurationMs(text: string): number {
  const match = /^([1-9]\d*)(ms|s|m|h|d)$/.exec(text)
  if (!match) throw new RangeError(`not a duration: ${text}`)
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

/** A duration of whole seconds (session lifetimes): `'30m'` → 1800. Milliseconds are refused. */
export function parseDuration(text: string): number {
  if (text.endsWith('ms')) throw new RangeError(`not a duration in seconds: ${text}`)
  return parseDurationMs(text) / 1000
}
