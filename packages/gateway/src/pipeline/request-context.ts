import { tightestBudget } from '../budget-limits.js'
import { budgetPeriodOf } from '../budget.js'
import type { BudgetLimit } from '../config.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * Builds the context plugins after auth see. The budgets' spending so far is
 * read only when a post-auth plugin will look at it; the budget stage fills in
 * the current figure for the hooks after it.
 */
export const requestContext: Stage = (x, next) => {
  x.scopeChains()
  const limits = x.state.budgets.of(x.app!, x.llm?.slug)
  if (limits.length > 0 && x.chains.postAuth.size > 0) return withSpending(x, next, limits)
  build(x, limits, limits.map(() => 0))
  return next()
}

async function withSpending(x: Exchange, next: () => Promise<void>, limits: readonly BudgetLimit[]): Promise<void> {
  const now = x.services.now()
  const usages = await Promise.all(limits.map((limit) => x.services.budgets.usage(limit.id, budgetPeriodOf(limit.period, now).key)))
  build(
    x,
    limits,
    usages.map((usage) => usage.spent),
  )
  await next()
}

function build(x: Exchange, limits: readonly BudgetLimit[], spent: number[]): void {
  x.context = {
    requestId: x.requestId,
    app: x.app!,
    user: x.user,
    llm: x.llm?.slug ?? '',
    model: x.model,
    budget: tightestBudget(limits, spent),
    streaming: x.streaming,
    metadata: x.metadata,
    api: x.api ?? '',
  }
}
