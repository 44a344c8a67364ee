import { describe, expect, it } from 'vitest'
import { refill, untilFull, wait } from './token-bucket.js'

const limits = { requestsPerMinute: 60, tokensPerMinute: 6000 }

describe('token bucket', () => {
  it('starts full and refills evenly over a minute, never beyond full', () => {
    expect(refill(undefined, limits, 5)).toEqual({ requests: 60, tokens: 6000, updatedAt: 5 })
    const empty = { requests: 0, tokens: -600, updatedAt: 0 }
    expect(refill(empty, limits, 30_000)).toEqual({ requests: 30, tokens: 2400, updatedAt: 30_000 })
    expect(refill(empty, limits, 10 * 60_000)).toEqual({ requests: 60, tokens: 6000, updatedAt: 600_000 })
  })

  it('does not refill when the clock goes backwards', () => {
    expect(refill({ requests: 1, tokens: 1, updatedAt: 1000 }, limits, 0)).toMatchObject({ requests: 1, tokens: 1 })
  })

  it('says how long until a request and a token are available, and which is short', () => {
    expect(wait({ requests: 1, tokens: 1, updatedAt: 0 }, limits)).toEqual({ ms: 0, short: 'requests' })
    expect(wait({ requests: 0.5, tokens: 10, updatedAt: 0 }, limits)).toEqual({ ms: 500, short: 'requests' })
    expect(wait({ requests: 10, tokens: -99, updatedAt: 0 }, limits)).toEqual({ ms: 1000, short: 'tokens' })
    expect(wait({ requests: 10, tokens: -99, updatedAt: 0 }, { requestsPerMinute: 60 })).toEqual({ ms: 0, short: 'requests' })
  })

  it('says how long until both allowances are full', () => {
    expect(untilFull({ requests: 59, tokens: 6000, updatedAt: 0 }, limits)).toBe(1000)
    expect(untilFull({ requests: 60, tokens: 0, updatedAt: 0 }, limits)).toBe(60_000)
    expect(untilFull({ requests: 60, tokens: 0, updatedAt: 0 }, { requestsPerMinute: 60 })).toBe(0)
  })
})
