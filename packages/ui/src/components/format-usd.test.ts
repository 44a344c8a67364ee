import { describe, expect, it } from 'vitest'
import { formatUsd } from './format-usd'

describe('formatUsd', () => {
  it('shows cents at least and a small cost down to millionths, never rounded to nothing', () => {
    expect(formatUsd(5)).toBe('$5.00')
    expect(formatUsd(1234.5)).toBe('$1,234.50')
    expect(formatUsd(0.00004)).toBe('$0.00004')
    expect(formatUsd(0.00021750000000000003)).toBe('$0.000218')
    expect(formatUsd(0)).toBe('$0.00')
  })

  it('gives a tick label exactly the decimals asked for', () => {
    expect(formatUsd(0.0002, 4)).toBe('$0.0002')
    expect(formatUsd(1500, 0)).toBe('$1,500')
  })
})
