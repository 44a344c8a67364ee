import { budgetPeriod } from '../budget.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * Builds the context plugins after auth see. The budget's spending so far is
 * read only when a post-auth plugin will look at it; the budget stage fills in
 * the current figure for the hooks after it.
 */
export const requestContext: Stage = (x, next) => {
  x.period = budgetPeriod()
  if (x.app!.monthlyBudget > 0 && x.state.chains.postAuth.size > 0) return withSpending(x, next)
  build(x, 0)
  return next()
}

async function withSpending(x: Exchange, next: () => Promise<void>): Promise<void> {
  build(x, (await x.services.budgets.usage(x.app!.id, x.period)).spent)
  await next()
}

function build(x: Exchange, spent: number): void {
  const app = x.app!
  const limit = app.monthlyBudget
  x.context = {
    requestId: x.requestId,
    app,
    user: x.user,
    llm: x.llm?.slug ?? '',
    model: x.model,
    budget: { limit, spent, remaining: limit > 0 ? Math.max(0, limit - spent) : 0 },
    streaming: x.streaming,
    metadata: x.metadata,
  }
}
