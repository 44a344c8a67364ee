import { Link } from 'react-router'
import { analyticsApi } from '../api/analytics-api'
import { FilteredLog } from '../components/FilteredLog'
import { isoTime, type FilterField, type FilterValues } from '../components/FilterForm'
import { ItemsTable } from '../components/ItemsTable'
import { formatCount, formatTime } from '../components/formats'
import '../analytics/analytics.css'

type Filter = 'from' | 'to' | 'app' | 'llm' | 'model' | 'status' | 'aborted'

const FIELDS: ReadonlyArray<FilterField<Filter>> = [
  { name: 'from', label: 'From', kind: 'time' },
  { name: 'to', label: 'To', kind: 'time' },
  { name: 'app', label: 'App', kind: 'text', placeholder: 'app id' },
  { name: 'llm', label: 'LLM', kind: 'text', placeholder: 'slug' },
  { name: 'model', label: 'Model', kind: 'text' },
  { name: 'status', label: 'Status', kind: 'text', placeholder: '200, 429, …' },
  {
    name: 'aborted',
    label: 'Aborted',
    kind: 'choice',
    options: [
      { value: '', label: 'any' },
      { value: 'true', label: 'yes' },
      { value: 'false', label: 'no' },
    ],
  },
]
const NO_FILTER: FilterValues<Filter> = { from: '', to: '', app: '', llm: '', model: '', status: '', aborted: '' }

function loadRequests(filters: FilterValues<Filter>, limit: number, cursor: string | undefined) {
  return analyticsApi.requests({
    app: filters.app,
    llm: filters.llm,
    model: filters.model,
    from: isoTime(filters.from),
    to: isoTime(filters.to),
    // A status that is no number goes as NaN: the API's schema refuses it with its message.
    status: filters.status.trim() ? Number(filters.status) : undefined,
    aborted: filters.aborted ? filters.aborted === 'true' : undefined,
    limit,
    cursor,
  })
}

/**
 * The gateway's request log, newest first, a page at a time by keyset (one
 * indexed query per page change, as quick at the millionth row as at the
 * first). Filters go to the API as typed: a bad one shows the API's message,
 * and its details under the filters they name.
 */
export default function RequestLogPage() {
  return (
    <>
      <header className="page-header">
        <h1>Request log</h1>
        <Link to="/analytics">Charts</Link>
      </header>
      <FilteredLog fields={FIELDS} noFilter={NO_FILTER} load={loadRequests} filterLabel="Request filters" pagerLabel="Request log pages">
        {(page) => (
          <div className="log request-log">
            <ItemsTable items={page.items} label="Requests" headers={['Time', 'App', 'LLM', 'Model', 'Status', 'Tokens (prompt + completion)', 'Cost (USD)', 'Latency (ms)', 'Request']} empty="No requests match.">
              {(row) => (
                <tr key={row.id}>
                  <td>{formatTime(row.at)}</td>
                  <td>{row.appId ?? '—'}</td>
                  <td>{row.llm ?? '—'}</td>
                  <td>{row.model ?? '—'}</td>
                  <td>
                    {row.status}
                    {row.errorCode && ` ${row.errorCode}`}
                    {row.aborted && ' (aborted)'}
                  </td>
                  <td>
                    {formatCount(row.promptTokens)} + {formatCount(row.completionTokens)}
                  </td>
                  <td>{row.costUsd.toFixed(6)}</td>
                  <td>{formatCount(row.latencyMs)}</td>
                  <td>
                    <code>{row.requestId}</code>
                  </td>
                </tr>
              )}
            </ItemsTable>
          </div>
        )}
      </FilteredLog>
    </>
  )
}
