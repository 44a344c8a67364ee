import { useNavigate } from 'react-router'
import { loadBudgetTargets } from '../api/budget-targets'
import { useApiData } from '../api/use-api-data'
import { LoadedView } from '../components/LoadedView'
import { BudgetForm } from '../forms/BudgetForm'

/** Adds a budget for an app or an LLM. */
export default function BudgetCreatePage() {
  const navigate = useNavigate()
  const { loaded } = useApiData(loadBudgetTargets, [])
  return (
    <>
      <h1>New budget</h1>
      <LoadedView loaded={loaded}>{(targets) => <BudgetForm targets={targets} onSaved={() => navigate('/budgets')} />}</LoadedView>
    </>
  )
}
