import { describe, expect, it } from 'vitest'
import { trustProxyOf } from '../../engine/cli/boot-app.ts'

describe('KOYA_TRUST_PROXY', () => {
  it('reads unset and false as no proxy, true as any', () => {
    expect(trustProxyOf(undefined)).toEqual({})
    expect(trustProxyOf('false')).toEqual({})
    expect(trustProxyOf('true')).toEqual({ trustProxy: true })
  })

  it('reads a number as a hop count', () => {
    const { trustProxy } = trustProxyOf('1') as { trustProxy: (address: string, hop: number) => boolean }
    expect([trustProxy('10.0.0.1', 0), trustProxy('10.0.0.2', 1)]).toEqual([true, false])
  })

  it('reads addresses and ranges separated by commas', () => {
    expect(trustProxyOf(' 10.0.0.0/8, 127.0.0.1 ')).toEqual({ trustProxy: ['10.0.0.0/8', '127.0.0.1'] })
  })
})
