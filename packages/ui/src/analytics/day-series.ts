import type { LatencyAnswerItem, UsageAnswerItem } from '@plugboard/studio/api-types'

type UsageRow = UsageAnswerItem['items'][number]
type LatencyRow = LatencyAnswerItem['items'][number]

/** What a usage chart plots of a row. */
export type UsageMeasure = 'requests' | 'tokens' | 'costUsd'

/** Lines over UTC days: `days` are `YYYY-MM-DD`, every day from the first to the last (none skipped); each series has a value per day (null: no data). */
export interface DaySeries {
  days: string[]
  series: Array<{ label: string; values: Array<number | null> }>
}

const DAY_MS = 24 * 60 * 60 * 1000

/** Every UTC day from the first to the last of `keys` (sorted), so a day without requests shows as 0, not as a line across it. */
function daysOf(keys: ReadonlyArray<string | null>): string[] {
  const known = keys.filter((key): key is string => key !== null).sort()
  if (known.length === 0) return []
  const days: string[] = []
  for (let t = Date.parse(`${known[0]}T00:00:00Z`), end = Date.parse(`${known.at(-1)}T00:00:00Z`); t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10))
  return days
}

const OTHER = '(other)'

const measureOf = (row: UsageRow, measure: UsageMeasure) => (measure === 'tokens' ? row.promptTokens + row.completionTokens : row[measure])

/**
 * Usage rows per day (`groupBy=day`, optionally `split`) as lines: one per
 * split value, the largest `maxLines − 1` by the measure's total and the rest
 * summed as "(other)" with the rows Studio already folded (`other`); without a
 * split one line, `total`. `none` names the split value null (requests of no
 * app, refused before auth). The parentheses keep "(other)" apart from a slug.
 */
export function usageSeries(rows: readonly UsageRow[], options: { measure: UsageMeasure; total: string; none: string; maxLines?: number }): DaySeries {
  const days = daysOf(rows.map((row) => row.key))
  const index = new Map(days.map((day, i) => [day, i]))
  const totals = new Map<string, number>()
  const labelOf = (row: UsageRow) => (row.other ? OTHER : row.split === undefined ? options.total : (row.split ?? options.none))
  for (const row of rows) if (!row.other) totals.set(labelOf(row), (totals.get(labelOf(row)) ?? 0) + measureOf(row, options.measure))
  const ranked = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b))
  const maxLines = options.maxLines ?? 8
  const kept = ranked.length > maxLines ? ranked.slice(0, maxLines - 1) : ranked
  const folded = ranked.length > kept.length || rows.some((row) => row.other)
  const labels = folded ? [...kept, OTHER] : kept
  const values = new Map(labels.map((label) => [label, days.map(() => 0)]))
  for (const row of rows) {
    const label = kept.includes(labelOf(row)) ? labelOf(row) : OTHER
    const day = row.key === null ? undefined : index.get(row.key)
    if (day !== undefined) values.get(label)![day]! += measureOf(row, options.measure)
  }
  return { days, series: labels.map((label) => ({ label, values: values.get(label)! })) }
}

/** Latency rows per day (`groupBy=day`) as three lines, p50, p90 and p99 (ms); a day without requests is a gap. */
export function latencySeries(rows: readonly LatencyRow[]): DaySeries {
  const days = daysOf(rows.map((row) => row.key))
  const byDay = new Map(rows.map((row) => [row.key, row]))
  const line = (label: string, pick: (row: LatencyRow) => number) => ({ label, values: days.map((day) => (byDay.has(day) ? pick(byDay.get(day)!) : null)) })
  return { days, series: [line('p50', (r) => r.p50), line('p90', (r) => r.p90), line('p99', (r) => r.p99)] }
}
