import { describe, expect, it } from 'vitest'
import { backoffMs } from '../../../engine/runtime/queue/retry-policy.ts'
import { retryAfterMsOf } from '../../../engine/runtime/webhooks/deliver-http.ts'
import { STANDARD_WEBHOOKS_RETRY } from '../../../engine/runtime/webhooks/webhook-delivery.ts'

describe('the Standard Webhooks schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the failed attempts, within ±10 %', () => {
    const expected = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]
    expect(STANDARD_WEBHOOKS_RETRY.attempts).toBe(8)
    expected.forEach((wait, i) => {
      expect(backoffMs(STANDARD_WEBHOOKS_RETRY, i + 1, () => 0.5)).toBe(wait)
      expect(backoffMs(STANDARD_WEBHOOKS_RETRY, i + 1, () => 0)).toBe(Math.round(wait * 0.9))
      expect(backoffMs(STANDARD_WEBHOOKS_RETRY, i + 1, () => 1)).toBe(Math.round(wait * 1.1))
    })
    expect(backoffMs(STANDARD_WEBHOOKS_RETRY, 20, () => 0.5)).toBe(36_000_000)
  })
})

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMsOf('120')).toBe(120_000)
    expect(retryAfterMsOf('Wed, 02 Dec 2026 08:01:00 GMT', Date.parse('2026-12-02T08:00:00Z'))).toBe(60_000)
    expect(retryAfterMsOf('soon')).toBeUndefined()
    expect(retryAfterMsOf(undefined)).toBeUndefined()
  })
})
