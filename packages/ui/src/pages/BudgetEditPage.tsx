import { Link, useNavigate, useParams } from 'react-router'
import { budgetTargetLabel, loadBudgetTargets } from '../api/budget-targets'
import { directoryApi } from '../api/directory-api'
import { DeleteButton } from '../components/DeleteButton'
import { EditLoader } from '../components/EditLoader'
import { formatUsd } from '../components/format-usd'
import { BudgetForm } from '../forms/BudgetForm'

const when = (iso: string) => <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>

/** A budget: this period's spending, alerts and reset; its terms in the form that creates one; deleting it. */
export default function BudgetEditPage() {
  const budgetId = useParams().budgetId ?? ''
  const navigate = useNavigate()
  return (
    <>
      <p>
        <Link to="/budgets">← Budgets</Link>
      </p>
      <EditLoader load={() => Promise.all([directoryApi.budget(budgetId), loadBudgetTargets()]).then(([budget, targets]) => Object.assign(budget, { targets }))} deps={[budgetId]}>
        {(budget, reload) => (
          <>
            <h1>Budget of {budgetTargetLabel(budget, budget.targets)}</h1>
            <dl className="facts" aria-label="This period">
              <dt>Spent</dt>
              <dd>
                {formatUsd(budget.status.spentUsd)} of {formatUsd(budget.limitUsd)}
                {budget.status.reservedUsd > 0 && ` (${formatUsd(budget.status.reservedUsd)} held by requests in flight)`}
              </dd>
              <dt>Period started</dt>
              <dd>{when(budget.status.periodStart)}</dd>
              <dt>Resets</dt>
              <dd>{when(budget.status.resetsAt)}</dd>
              <dt>Alerts</dt>
              <dd>{budget.status.alerts.map((alert) => `${alert.threshold}% at ${new Date(alert.at).toLocaleString()}`).join('; ') || 'none this period'}</dd>
            </dl>
            <h2 className="section">Terms</h2>
            <BudgetForm budget={budget} targets={budget.targets} onSaved={() => navigate('/budgets')} onReload={reload} />
            <div className="actions">
              <DeleteButton what="budget" name={budgetTargetLabel(budget, budget.targets)} remove={() => directoryApi.deleteBudget(budget.id, budget.version)} onDeleted={() => navigate('/budgets')} onReload={reload} />
            </div>
          </>
        )}
      </EditLoader>
    </>
  )
}
