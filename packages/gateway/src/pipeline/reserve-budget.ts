import type { Pricing } from '../config.js'
import { GatewayError } from '../errors.js'
import { costOf } from '../usage.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * The budget: before the upstream is called, reserves the most the request
 * may cost (its estimated prompt plus its completion limit, priced) and
 * refuses with BUDGET_EXCEEDED when that would pass the app's monthly limit;
 * when the request is over, however it ended, settles the actual cost. The
 * cost is the priced usage; an upstream answer whose usage is unknown is
 * charged what was reserved; a request that got no answer costs nothing.
 * An app without a limit reserves nothing and is charged after.
 */
export const reserveBudget: Stage = (x, next) => {
  // Listing models calls neither an LLM nor a plugin: it spends nothing, also when the budget is spent.
  if (!x.llm && !x.endpoint) return next()
  const pricing = x.model ? x.state.config.pricing[x.model] : undefined
  // No limit to check and no price to charge: nothing to do.
  return x.app!.monthlyBudget <= 0 && !pricing ? next() : reserveAndSettle(x, next, pricing)
}

async function reserveAndSettle(x: Exchange, next: () => Promise<void>, pricing: Pricing | undefined): Promise<void> {
  const app = x.app!
  const limit = app.monthlyBudget
  const { budgets } = x.services
  // Priced only when needed: an app with no limit whose usage is known never asks.
  const mostOf = () => (pricing ? (x.promptTokens() * pricing.input + x.maxCompletionTokens * pricing.output) / 1_000_000 : 0)
  let most: number | undefined
  if (limit > 0) {
    most = mostOf()
    const result = await budgets.reserve({ appId: app.id, period: x.period, amount: most, limit })
    if (!result.ok) {
      const left = Math.max(0, limit - result.spent - result.reserved)
      throw new GatewayError(
        'BUDGET_EXCEEDED',
        left === 0
          ? `app "${app.name}" has spent its monthly budget of $${limit}`
          : `this request may cost up to $${most.toPrecision(3)}, more than the $${left.toPrecision(3)} left of app "${app.name}"'s monthly budget of $${limit}; lower max_tokens or wait for requests in flight`,
      )
    }
    x.reservation = result.reservation
    x.context!.budget = { limit, spent: result.spent, remaining: Math.max(0, limit - result.spent) }
  }
  try {
    await next()
  } finally {
    const answered = x.response !== undefined && x.status >= 200 && x.status < 400
    x.cost = x.usage ? costOf(x.usage, pricing) : answered ? (most ?? mostOf()) : 0
    try {
      if (x.reservation) x.spent = await budgets.settle(x.reservation, x.cost)
      else if (x.cost > 0) x.spent = await budgets.charge(app.id, x.period, x.cost)
    } catch (error) {
      x.log.error({ err: error, app: app.id, cost: x.cost }, 'budget not settled')
    }
  }
}
