import { describe, expect, it } from 'vitest'
import { fractionDigitsFor, WHOLE_INCREMENTS, xRangeOf } from './chart-scales'

const seconds = (iso: string) => Date.parse(iso) / 1000

describe('xRangeOf', () => {
  it('spans the UTC days of the range asked for, whatever days the data falls on', () => {
    expect(xRangeOf({ from: '2026-11-03T15:59:21.000Z', to: '2026-12-03T15:59:21.000Z' })).toEqual([seconds('2026-11-03T00:00:00Z'), seconds('2026-12-03T00:00:00Z')])
  })

  it('centres a range within one day on that day', () => {
    expect(xRangeOf({ from: '2026-12-03T01:00:00Z', to: '2026-12-03T05:00:00Z' })).toEqual([seconds('2026-12-02T12:00:00Z'), seconds('2026-12-03T12:00:00Z')])
  })
})

describe('tick steps', () => {
  it('steps counts by whole numbers only', () => {
    expect(WHOLE_INCREMENTS.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50])
    expect(WHOLE_INCREMENTS.every(Number.isInteger)).toBe(true)
  })

  it('gives ticks as many decimals as their step needs to read apart', () => {
    expect([0.00005, 0.0001, 0.25, 0.5, 1, 200].map(fractionDigitsFor)).toEqual([5, 4, 2, 1, 0, 0])
  })
})
