import { budgetPeriod } from '../budget.js'
import type { Stage } from './exchange.js'

/**
 * Builds the context plugins after auth see. The budget's spending so far is
 * read only when a post-auth plugin will look at it; the budget stage fills in
 * the current figure for the hooks after it.
 */
export const requestContext: Stage = async (x, next) => {
  const app = x.app!
  const limit = app.monthlyBudget
  x.period = budgetPeriod()
  const spent = limit > 0 && x.state.chains.postAuth.size > 0 ? (await x.services.budgets.usage(app.id, x.period)).spent : 0
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
  await next()
}
