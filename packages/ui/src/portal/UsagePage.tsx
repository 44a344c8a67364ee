import type { AppItem, BudgetItem, MyUsageItem } from '@plugboard/studio/api-types'
import { portalApi } from '../api/portal-api'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage } from '../components/form-controls'

const usd = (amount: number) => amount.toLocaleString(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 })
const count = (n: number) => n.toLocaleString()
/** Budget periods are UTC (a calendar month, or days from an anchor): their dates are shown in UTC. */
const utcDate = (iso: string) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })

function UsageTable(props: { usage: MyUsageItem }) {
  const { usage } = props
  if (usage.items.length === 0) return <p>No requests from your apps this month yet.</p>
  return (
    <table aria-label="Usage this month">
      <thead>
        <tr>
          <th>App</th>
          <th>Requests</th>
          <th>Prompt tokens</th>
          <th>Completion tokens</th>
          <th>Cost</th>
          <th>Errors</th>
        </tr>
      </thead>
      <tbody>
        {[...usage.items, { app: 'Total', ...usage.total }].map((row) => (
          <tr key={row.app}>
            <td>{row.app}</td>
            <td>{count(row.requests)}</td>
            <td>{count(row.promptTokens)}</td>
            <td>{count(row.completionTokens)}</td>
            <td>{usd(row.costUsd)}</td>
            <td>{count(row.errors)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function BudgetsTable(props: { budgets: BudgetItem[]; apps: AppItem[] }) {
  if (props.budgets.length === 0) return <p>No budget is set on your apps.</p>
  const nameOf = (appId: string | null) => props.apps.find((app) => app.id === appId)?.name ?? appId ?? ''
  return (
    <table aria-label="Budgets">
      <thead>
        <tr>
          <th>App</th>
          <th>Limit</th>
          <th>Spent</th>
          <th>Period</th>
          <th>Resets</th>
        </tr>
      </thead>
      <tbody>
        {props.budgets.map((budget) => (
          <tr key={budget.id}>
            <td>{nameOf(budget.appId)}</td>
            <td>{usd(budget.limitUsd)}</td>
            <td>
              {usd(budget.status.spentUsd)} ({Math.round((budget.status.spentUsd / budget.limitUsd) * 100)}%)
            </td>
            <td>{budget.period === 'monthly' ? 'monthly' : `every ${budget.periodDays} days`}</td>
            <td>resets on {utcDate(budget.status.resetsAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Usage(props: { usage: MyUsageItem; budgets: BudgetItem[]; apps: AppItem[] }) {
  return (
    <>
      <p className="hint">
        Since {utcDate(props.usage.from)} (UTC): {count(props.usage.total.requests)} {props.usage.total.requests === 1 ? 'request' : 'requests'}, {usd(props.usage.total.costUsd)}.
      </p>
      <UsageTable usage={props.usage} />
      <h2 className="section">Budgets</h2>
      <BudgetsTable budgets={props.budgets} apps={props.apps} />
    </>
  )
}

/** What the signed-in user's apps used this month, and the budgets on them with when each resets. */
export default function UsagePage() {
  const { loaded } = useApiData(() => Promise.all([portalApi.usage(), portalApi.budgets(), portalApi.apps()]), [])
  return (
    <>
      <h1>Usage &amp; budget</h1>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' && <Usage usage={loaded.data[0]} budgets={loaded.data[1].items} apps={loaded.data[2].items} />}
    </>
  )
}
