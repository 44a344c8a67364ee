import type { AppItem, BudgetItem, MyUsageItem } from '@plugboard/studio/api-types'
import { portalApi } from '../api/portal-api'
import { useApiData } from '../api/use-api-data'
import { formatUsd } from '../components/format-usd'
import { formatCount } from '../components/formats'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** The app Studio's chats with LLMs go through: its rows in /me/usage are the user's own chats. */
const CHAT_APP = 'studio:chat'
/** Budget periods are UTC (a calendar month, or days from an anchor): their dates are shown in UTC. */
const utcDate = (iso: string) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })

function UsageTable(props: { usage: MyUsageItem }) {
  const { usage } = props
  // The total row only when some app made requests: an empty month says so instead.
  const rows = usage.items.length === 0 ? [] : [...usage.items, { app: 'Total', ...usage.total }]
  return (
    <ItemsTable items={rows} headers={['App', 'Requests', 'Prompt tokens', 'Completion tokens', 'Cost', 'Errors']} empty="No requests from your apps this month yet." label="Usage this month">
      {(row) => (
        <tr key={row.app}>
          <td>{row.app === CHAT_APP ? 'Chat in Studio' : row.app}</td>
          <td>{formatCount(row.requests)}</td>
          <td>{formatCount(row.promptTokens)}</td>
          <td>{formatCount(row.completionTokens)}</td>
          <td>{formatUsd(row.costUsd)}</td>
          <td>{formatCount(row.errors)}</td>
        </tr>
      )}
    </ItemsTable>
  )
}

function BudgetsTable(props: { budgets: BudgetItem[]; apps: AppItem[] }) {
  const nameOf = (appId: string | null) => props.apps.find((app) => app.id === appId)?.name ?? appId ?? ''
  return (
    <ItemsTable items={props.budgets} headers={['App', 'Limit', 'Spent', 'Period', 'Resets']} empty="No budget is set on your apps." label="Budgets">
      {(budget) => (
        <tr key={budget.id}>
          <td>{nameOf(budget.appId)}</td>
          <td>{formatUsd(budget.limitUsd)}</td>
          <td>
            {formatUsd(budget.status.spentUsd)} ({Math.round((budget.status.spentUsd / budget.limitUsd) * 100)}%)
          </td>
          <td>{budget.period === 'monthly' ? 'monthly' : `every ${budget.periodDays} days`}</td>
          <td>resets on {utcDate(budget.status.resetsAt)}</td>
        </tr>
      )}
    </ItemsTable>
  )
}

function Usage(props: { usage: MyUsageItem; budgets: BudgetItem[]; apps: AppItem[] }) {
  return (
    <>
      <p className="hint">
        Since {utcDate(props.usage.from)} (UTC): {formatCount(props.usage.total.requests)} {props.usage.total.requests === 1 ? 'request' : 'requests'}, {formatUsd(props.usage.total.costUsd)}.
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
      <LoadedView loaded={loaded}>{([usage, budgets, apps]) => <Usage usage={usage} budgets={budgets.items} apps={apps.items} />}</LoadedView>
    </>
  )
}
