import type { BudgetItem } from '@plugboard/studio/api-types'
import { adminApi } from './admin-api'

/** What budgets can limit: an app's requests, or every app's requests to an LLM. */
export type BudgetScope = 'app' | 'llm'

/** The apps and LLMs a budget may name, by id, as the budget pages show them (slugs). */
export interface BudgetTargets {
  app: Map<string, string>
  llm: Map<string, string>
}

export async function loadBudgetTargets(): Promise<BudgetTargets> {
  const [apps, llms] = await Promise.all([adminApi.apps(), adminApi.llms()])
  return { app: new Map(apps.items.map((app) => [app.id, app.slug])), llm: new Map(llms.items.map((llm) => [llm.id, llm.slug])) }
}

/** "App my-app" or "LLM gpt": what the budget limits (its id when the target is not in the lists). */
export function budgetTargetLabel(budget: BudgetItem, targets: BudgetTargets): string {
  if (budget.appId) return `App ${targets.app.get(budget.appId) ?? budget.appId}`
  return `LLM ${targets.llm.get(budget.llmId ?? '') ?? budget.llmId}`
}

/** "monthly" or "every 7 days". */
export function budgetPeriodLabel(budget: Pick<BudgetItem, 'period' | 'periodDays'>): string {
  return budget.period === 'monthly' ? 'monthly (UTC calendar month)' : `every ${budget.periodDays} day${budget.periodDays === 1 ? '' : 's'}`
}
