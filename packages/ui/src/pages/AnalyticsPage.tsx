import type { UsageQueryItem } from '@plugboard/studio/api-types'
import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { latencySeries, usageSeries, type UsageMeasure } from '../analytics/day-series'
import { TimeChart } from '../analytics/TimeChart'
import { analyticsApi } from '../api/analytics-api'
import { useApiData } from '../api/use-api-data'
import { FilterForm, isoTime, type FilterField, type FilterValues } from '../components/FilterForm'
import { formatUsd } from '../components/format-usd'
import { formatCount } from '../components/formats'
import { LoadedView } from '../components/LoadedView'

type Filter = 'from' | 'to' | 'app' | 'llm' | 'split'
type Split = NonNullable<UsageQueryItem['split']>

const SPLITS: ReadonlyArray<{ value: '' | Split; label: string }> = [
  { value: 'app', label: 'app' },
  { value: 'llm', label: 'LLM' },
  { value: '', label: 'nothing (totals)' },
]
const FIELDS: ReadonlyArray<FilterField<Filter>> = [
  { name: 'from', label: 'From', kind: 'time' },
  { name: 'to', label: 'To', kind: 'time' },
  { name: 'app', label: 'App', kind: 'text', placeholder: 'any (app id)' },
  { name: 'llm', label: 'LLM', kind: 'text', placeholder: 'any (slug)' },
  { name: 'split', label: 'Lines per', kind: 'choice', options: SPLITS },
]
const START: FilterValues<Filter> = { from: '', to: '', app: '', llm: '', split: 'app' }
/** What a null split is: requests with no app (refused before auth) or no LLM. */
const NONE: Record<Split, string> = { app: '(no app)', llm: '(no LLM)', model: '(no model)' }

const ms = (n: number) => `${formatCount(n)} ms`
const CHARTS: ReadonlyArray<{ measure: UsageMeasure; title: string; format: (n: number, fractionDigits?: number) => string; whole: boolean }> = [
  { measure: 'requests', title: 'Requests per day', format: formatCount, whole: true },
  { measure: 'tokens', title: 'Tokens per day (prompt + completion)', format: formatCount, whole: true },
  { measure: 'costUsd', title: 'Cost per day (USD)', format: formatUsd, whole: false },
]

/**
 * Usage, cost and latency per UTC day over a time range (the last 30 days
 * unless told), with a line per app or LLM: two calls, one `usage` grouped by
 * day and split, one `latency` by day. The charting library is in this
 * page's chunk only.
 */
export default function AnalyticsPage() {
  const [filters, setFilters] = useState(START)
  const query = { from: isoTime(filters.from), to: isoTime(filters.to), app: filters.app, llm: filters.llm, groupBy: 'day' as const }
  const split = (filters.split || undefined) as Split | undefined
  const { loaded } = useApiData(() => Promise.all([analyticsApi.usage({ ...query, ...(split && { split }) }), analyticsApi.latency(query)]), [JSON.stringify(filters)])
  return (
    <>
      <header className="page-header">
        <h1>Analytics</h1>
        <Link to="/analytics/requests">Request log</Link>
      </header>
      <FilterForm fields={FIELDS} applied={filters} onApply={setFilters} label="Analytics filters" loaded={loaded} />
      <LoadedView loaded={loaded}>{([usage, latency]) => <Charts usage={usage.items} latency={latency.items} range={usage} none={split ? NONE[split] : ''} />}</LoadedView>
    </>
  )
}

type UsageRows = Awaited<ReturnType<typeof analyticsApi.usage>>['items']
type LatencyRows = Awaited<ReturnType<typeof analyticsApi.latency>>['items']

function Charts(props: { usage: UsageRows; latency: LatencyRows; range: { from: string; to: string }; none: string }) {
  const { usage, latency, none } = props
  // Series are rebuilt only when the data changes: a new series array redraws its chart.
  const charts = useMemo(() => CHARTS.map((chart) => ({ ...chart, data: usageSeries(usage, { measure: chart.measure, total: 'All requests', none }) })), [usage, none])
  const latencyData = useMemo(() => latencySeries(latency), [latency])
  const total = (pick: (row: UsageRows[number]) => number) => usage.reduce((sum, row) => sum + pick(row), 0)
  return (
    <>
      <p className="hint">
        {new Date(props.range.from).toLocaleString()} to {new Date(props.range.to).toLocaleString()}; days are UTC.
      </p>
      <dl className="totals" aria-label="Totals">
        <div>
          <dt>Requests</dt>
          <dd>{formatCount(total((r) => r.requests))}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>{formatCount(total((r) => r.promptTokens + r.completionTokens))}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatUsd(total((r) => r.costUsd))}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{formatCount(total((r) => r.errors))}</dd>
        </div>
      </dl>
      <div className="charts">
        {charts.map((chart) => (
          <TimeChart key={chart.measure} title={chart.title} data={chart.data} range={props.range} format={chart.format} whole={chart.whole} />
        ))}
        <TimeChart title="Latency per day (p50, p90, p99)" data={latencyData} range={props.range} format={ms} whole />
      </div>
    </>
  )
}
