import { tightestBudget } from '../budget-limits.js'
import { budgetPeriodOf, type BudgetPeriod, type BudgetReservation } from '../budget.js'
import type { BudgetLimit, Pricing } from '../config.js'
import { GatewayError } from '../errors.js'
import { costOf } from '../usage.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * The budget: before the upstream is called, reserves the most the request
 * may cost (its estimated prompt plus its completion limit, priced) against
 * every limit that applies — the app's and the LLM's — and refuses with
 * BUDGET_EXCEEDED, naming the limit and when it resets, when that would pass
 * any of them (releasing those it took). When the request is over, however
 * it ended, settles the actual cost on each. The cost is the priced usage;
 * an upstream answer whose usage is unknown is charged what was reserved; a
 * request that got no answer costs nothing. A request no limit applies to
 * reserves nothing; its cost is still reported (data collection).
 */
export const reserveBudget: Stage = (x, next) => {
  // Listing models calls neither an LLM nor a plugin: it spends nothing, also when a budget is spent.
  if (!x.llm && !x.endpoint) return next()
  const pricing = x.model ? x.state.config.pricing[x.model] : undefined
  const limits = x.state.budgets.of(x.app!, x.llm?.slug)
  // No limit to check and no price to report: nothing to do.
  return limits.length === 0 && !pricing ? next() : reserveAndSettle(x, next, limits, pricing)
}

async function reserveAndSettle(x: Exchange, next: () => Promise<void>, limits: readonly BudgetLimit[], pricing: Pricing | undefined): Promise<void> {
  // Priced only when needed: a request with no limit whose usage is known never asks.
  const mostOf = () => (pricing ? (x.promptTokens() * pricing.input + x.maxCompletionTokens * pricing.output) / 1_000_000 : 0)
  let most: number | undefined
  if (limits.length > 0) {
    most = mostOf()
    await reserveAll(x, limits, most)
  }
  try {
    await next()
  } finally {
    const answered = x.response !== undefined && x.status >= 200 && x.status < 400
    x.cost = x.usage ? costOf(x.usage, pricing) : answered ? (most ?? mostOf()) : 0
    if (x.reservations.length > 0) await settleAll(x)
  }
}

/** One reservation per limit, all or none: a refusal (or a failing store) releases those taken. */
async function reserveAll(x: Exchange, limits: readonly BudgetLimit[], amount: number): Promise<void> {
  const { budgets } = x.services
  const now = x.services.now()
  const periods = limits.map((limit) => budgetPeriodOf(limit.period, now))
  const results = await Promise.allSettled(limits.map((limit, i) => budgets.reserve({ limit, period: periods[i]!, amount })))
  const taken = results.flatMap((result) => (result.status === 'fulfilled' && result.value.ok ? [result.value.reservation] : []))
  const refused = results.findIndex((result) => result.status === 'rejected' || !result.value.ok)
  if (refused >= 0) {
    await release(x, taken)
    const result = results[refused]!
    if (result.status === 'rejected') throw result.reason
    if (!result.value.ok) throw refusal(limits[refused]!, periods[refused]!, amount, result.value, now)
  }
  // None refused: every result is a reservation, in the order of `limits`.
  x.reservations = taken
  x.context!.budget = tightestBudget(limits, results.map((result) => (result as PromiseFulfilledResult<{ spent: number }>).value.spent))
}

async function release(x: Exchange, reservations: BudgetReservation[]): Promise<void> {
  const results = await Promise.allSettled(reservations.map((reservation) => x.services.budgets.settle(reservation, 0)))
  for (const result of results) if (result.status === 'rejected') x.log.error({ err: result.reason }, 'budget reservation not released')
}

async function settleAll(x: Exchange): Promise<void> {
  const results = await Promise.allSettled(x.reservations.map((reservation) => x.services.budgets.settle(reservation, x.cost)))
  results.forEach((result, i) => {
    const { limit, period } = x.reservations[i]!
    if (result.status === 'fulfilled') x.settled.push({ limit, period: period.key, spent: result.value })
    else x.log.error({ err: result.reason, budget: limit.id, cost: x.cost }, 'budget not settled')
  })
}

/**
 * BUDGET_EXCEEDED naming the limit that refused and when its period resets,
 * in the message and in headers; a spent budget also says `Retry-After` (the
 * seconds to its reset: nothing can be served before).
 */
function refusal(limit: BudgetLimit, period: BudgetPeriod, amount: number, usage: { spent: number; reserved: number }, now: number): GatewayError {
  const resetsAt = new Date(period.resetsAt).toISOString()
  const per = limit.period.kind === 'monthly' ? 'month' : `${limit.period.days} days`
  const name = `budget "${limit.id}" (${limit.scope} "${limit.target}", $${limit.limitUsd} per ${per})`
  const left = Math.max(0, limit.limitUsd - usage.spent - usage.reserved)
  const message =
    left === 0
      ? `${name} is spent; it resets at ${resetsAt}`
      : `this request may cost up to $${amount.toPrecision(3)}, more than the $${left.toPrecision(3)} left of ${name}; lower max_tokens, wait for requests in flight, or for the reset at ${resetsAt}`
  // An id a header cannot carry as it is (spaces, non-ASCII: an app id may hold them) is %-encoded.
  const id = /^[\x21-\x7e]+$/.test(limit.id) ? limit.id : encodeURIComponent(limit.id)
  const headers: Record<string, string> = { 'x-plugboard-budget': id, 'x-plugboard-budget-resets-at': resetsAt }
  if (left === 0) headers['retry-after'] = String(Math.max(1, Math.ceil((period.resetsAt - now) / 1000)))
  return new GatewayError('BUDGET_EXCEEDED', message, undefined, { headers })
}
