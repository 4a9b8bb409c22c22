import { describe, expect, it } from 'vitest'
import { realtimeOf } from '../../engine/cli/boot-app.ts'

describe('KOYA_REALTIME_PRESENCE_TTL_MS', () => {
  it('unset keeps the default; a number of milliseconds becomes channels.presenceTtlMs', () => {
    expect(realtimeOf({})).toEqual({})
    expect(realtimeOf({ KOYA_REALTIME_PRESENCE_TTL_MS: ' 1500 ' })).toEqual({ realtime: { channels: { presenceTtlMs: 1500 } } })
  })

  it('refuses what is not a whole number of milliseconds from 1 s to 1 h with KL_ENV_INVALID', () => {
    for (const value of ['30s', '-1', '999', '3600001', '1.5e3']) {
      expect(() => realtimeOf({ KOYA_REALTIME_PRESENCE_TTL_MS: value }), value).toThrow(expect.objectContaining({ code: 'KL_ENV_INVALID' }))
    }
  })
})
