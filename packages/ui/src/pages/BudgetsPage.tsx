import { Link } from 'react-router'
import { budgetPeriodLabel, budgetTargetLabel, loadBudgetTargets } from '../api/budget-targets'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { formatUsd } from '../components/format-usd'

/** The spending limits of apps and LLMs, with what was spent this period and when it resets. */
export default function BudgetsPage() {
  const { loaded } = useApiData(() => Promise.all([directoryApi.budgets(), loadBudgetTargets()]), [])
  return (
    <>
      <header className="page-header">
        <h1>Budgets</h1>
        <Link className="button primary" to="/budgets/new">
          New budget
        </Link>
      </header>
      <LoadedView loaded={loaded}>
        {([budgets, targets]) => (
          <ItemsTable items={budgets.items} headers={['Limits', 'Limit', 'Period', 'Spent', 'Resets', 'Enabled']} empty="No budgets yet." label="Budgets">
            {(budget) => (
              <tr key={budget.id}>
                <td>
                  <Link to={`/budgets/${encodeURIComponent(budget.id)}`}>{budgetTargetLabel(budget, targets)}</Link>
                </td>
                <td>{formatUsd(budget.limitUsd)}</td>
                <td>{budgetPeriodLabel(budget)}</td>
                <td>{formatUsd(budget.status.spentUsd)}</td>
                <td>
                  <time dateTime={budget.status.resetsAt}>{new Date(budget.status.resetsAt).toLocaleString()}</time>
                </td>
                <td>{budget.enabled ? 'yes' : 'no'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
