import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { fractionDigitsFor, WHOLE_INCREMENTS, xRangeOf } from './chart-scales'
import type { DaySeries } from './day-series'
import './analytics.css'

const COLORS = ['#2457c5', '#d97706', '#059669', '#b42318', '#7c3aed', '#0891b2', '#be185d', '#4b5563']
const HEIGHT = 240
const DAY_FORMAT = uPlot.fmtDate('{YYYY}-{MM}-{DD}')
/** Days are UTC days: the axis and the legend show them in UTC, not in the browser's zone. */
const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC')

/**
 * Lines over UTC days, drawn by uPlot on a canvas. Hovering a day shows its
 * figures in the legend under the chart (HTML text: uPlot sets labels with
 * `textContent`, so an app named `<img onerror…>` stays text). A click on a
 * legend entry hides or shows its line. The x axis spans `range` (the
 * answer's from and to); a `whole` measure (a count) ticks by whole numbers,
 * any other gets the decimals its tick step needs (`format`'s second argument).
 */
export function TimeChart(props: { title: string; data: DaySeries; range: { from: string; to: string }; format: (value: number, fractionDigits?: number) => string; whole?: boolean }) {
  const holder = useRef<HTMLDivElement>(null)
  const { data, format, whole } = props
  const { from, to } = props.range
  useEffect(() => {
    const target = holder.current
    if (!target) return
    const x = data.days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000)
    const figure = (_: uPlot, value: number | null) => (value === null || value === undefined ? '—' : format(value))
    const chart = new uPlot(
      {
        width: Math.max(target.clientWidth, 320),
        height: HEIGHT,
        tzDate: utc,
        scales: { x: { time: true, range: () => xRangeOf({ from, to }) } },
        series: [
          { label: 'Day', value: (_: uPlot, seconds: number | null) => (seconds === null ? '—' : DAY_FORMAT(utc(seconds))) },
          ...data.series.map((line, i) => ({ label: line.label, stroke: COLORS[i % COLORS.length]!, width: 2, value: figure, points: { show: data.days.length < 60 } })),
        ],
        // The y axis as wide as its longest label ("4,000,000") needs.
        axes: [{}, { ...(whole && { incrs: WHOLE_INCREMENTS }), values: (_: uPlot, ticks: number[], _axis: number, _space: number, increment: number) => ticks.map((tick) => format(tick, fractionDigitsFor(increment))), size: (_: uPlot, labels: string[] | null) => 24 + 8 * Math.max(3, ...(labels ?? []).map((label) => label.length)) }],
      },
      [x, ...data.series.map((line) => line.values)],
      target,
    )
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(target.clientWidth, 320), height: HEIGHT }))
    resize.observe(target)
    return () => {
      resize.disconnect()
      chart.destroy()
    }
  }, [data, format, whole, from, to])
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      {data.days.length === 0 ? <p className="hint">No requests in this range.</p> : <div ref={holder} role="img" aria-label={props.title} />}
    </figure>
  )
}
