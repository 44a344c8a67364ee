import { describe, expect, it } from 'vitest'
import { latencySeries, usageSeries } from './day-series'

const row = (key: string | null, split: string | null | undefined, requests: number) => ({ key, ...(split !== undefined && { split }), requests, promptTokens: requests * 10, completionTokens: requests, costUsd: requests / 100, errors: 0 })

describe('usageSeries', () => {
  it('gives one line per split value, every day from the first to the last, 0 where a day has none', () => {
    const rows = [row('2026-03-01', 'alpha', 2), row('2026-03-01', 'beta', 1), row('2026-03-03', 'beta', 4)]
    expect(usageSeries(rows, { measure: 'requests', total: 'All', none: '(no app)' })).toEqual({
      days: ['2026-03-01', '2026-03-02', '2026-03-03'],
      series: [
        { label: 'beta', values: [1, 0, 4] },
        { label: 'alpha', values: [2, 0, 0] },
      ],
    })
  })

  it('sums tokens as prompt plus completion, names the null split, and without a split draws the total', () => {
    expect(usageSeries([row('2026-03-01', null, 3)], { measure: 'tokens', total: 'All', none: '(no app)' }).series).toEqual([{ label: '(no app)', values: [33] }])
    expect(usageSeries([row('2026-03-01', undefined, 3)], { measure: 'costUsd', total: 'All', none: '(no app)' }).series).toEqual([{ label: 'All', values: [0.03] }])
  })

  it('keeps the largest lines and sums the rest as "(other)", apart from an app named other', () => {
    const rows = ['other', 'b', 'c', 'd'].map((split, i) => row('2026-03-01', split, i + 1))
    expect(usageSeries(rows, { measure: 'requests', total: 'All', none: '-', maxLines: 3 }).series).toEqual([
      { label: 'd', values: [4] },
      { label: 'c', values: [3] },
      { label: '(other)', values: [3] },
    ])
  })

  it('adds the rows Studio folded (other: true) to "(other)", not to the null split, and never ranks them', () => {
    const rows = [row('2026-03-01', 'a', 1), { ...row('2026-03-01', null, 50), other: true as const }, row('2026-03-02', null, 2), { ...row('2026-03-02', null, 5), other: true as const }]
    expect(usageSeries(rows, { measure: 'requests', total: 'All', none: '(no app)' }).series).toEqual([
      { label: '(no app)', values: [0, 2] },
      { label: 'a', values: [1, 0] },
      { label: '(other)', values: [50, 5] },
    ])
  })
})

describe('latencySeries', () => {
  it('gives p50, p90 and p99 per day with a gap for a day without requests', () => {
    const rows = [
      { key: '2026-03-01', p50: 1, p90: 2, p99: 3, requests: 5 },
      { key: '2026-03-03', p50: 4, p90: 5, p99: 6, requests: 5 },
    ]
    expect(latencySeries(rows).series.map((s) => [s.label, s.values])).toEqual([
      ['p50', [1, null, 4]],
      ['p90', [2, null, 5]],
      ['p99', [3, null, 6]],
    ])
  })
})
