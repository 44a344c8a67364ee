const DAY_SECONDS = 24 * 60 * 60

/** Tick steps for a count (requests, tokens, milliseconds): whole numbers only, so no two ticks round to the same label. */
export const WHOLE_INCREMENTS: number[] = Array.from({ length: 16 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat()

/** The decimals a tick label needs for ticks `increment` apart to read apart: as many as the step has (0.00005: 5, 0.25: 2). */
export function fractionDigitsFor(increment: number): number {
  let digits = 0
  while (digits < 12 && Math.abs(Math.round(increment * 10 ** digits) - increment * 10 ** digits) > 1e-6) digits++
  return digits
}

const dayStart = (iso: string) => Math.floor(Date.parse(iso) / 1000 / DAY_SECONDS) * DAY_SECONDS

/**
 * The x scale (seconds) for an answer's time range: from the UTC day `from`
 * falls on to the one `to` falls on, where the charts put their points, so
 * the axis shows the range asked for rather than uPlot's guess around the
 * data (one day of data spanned years). A range within one day gets half a
 * day either side, so its point sits in the middle.
 */
export function xRangeOf(range: { from: string; to: string }): [number, number] {
  const first = dayStart(range.from)
  const last = dayStart(range.to)
  return last > first ? [first, last] : [first - DAY_SECONDS / 2, first + DAY_SECONDS / 2]
}
