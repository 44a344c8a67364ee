import type { pluginv1 as pb } from '@plugboard/proto'
import { DEFAULT_BUDGET_THRESHOLDS, type BudgetLimit, type BudgetPeriodRule } from './config.js'

const MONTHLY: BudgetPeriodRule = { kind: 'monthly' }

/**
 * The budget limits of a config by what they apply to, built once per config:
 * a request looks up its app's and its LLM's without scanning the list.
 */
export class BudgetLimits {
  readonly #byApp = new Map<string, BudgetLimit[]>()
  readonly #byLlm = new Map<string, BudgetLimit[]>()

  constructor(limits: readonly BudgetLimit[]) {
    for (const limit of limits) {
      const index = limit.scope === 'app' ? this.#byApp : this.#byLlm
      index.set(limit.target, [...(index.get(limit.target) ?? []), limit])
    }
  }

  /** An app's own limits (none: an empty list). */
  ofApp(appId: string): readonly BudgetLimit[] {
    return this.#byApp.get(appId) ?? NONE
  }

  /**
   * Every limit a request of `app` to the LLM `llmSlug` (none for a plugin
   * endpoint) is checked against: the app's and the LLM's. An app an auth
   * plugin made up, with a `monthlyBudget` but no configured limit, gets
   * that as its monthly limit `app:<id>`.
   */
  of(app: pb.App, llmSlug: string | undefined): readonly BudgetLimit[] {
    let own = this.#byApp.get(app.id)
    if (!own && app.monthlyBudget > 0) own = [{ id: `app:${app.id}`, scope: 'app', target: app.id, limitUsd: app.monthlyBudget, period: MONTHLY, thresholds: [...DEFAULT_BUDGET_THRESHOLDS] }]
    const llm = llmSlug === undefined ? undefined : this.#byLlm.get(llmSlug)
    if (!llm) return own ?? NONE
    return own ? [...own, ...llm] : llm
  }
}

const NONE: readonly BudgetLimit[] = []

/**
 * The budget plugins see (`RequestContext.budget`): of the limits that
 * apply, the one with the least left, given each one's spending in order;
 * all zero when none applies.
 */
export function tightestBudget(limits: readonly BudgetLimit[], spent: readonly number[]): pb.Budget {
  let tightest: pb.Budget = { limit: 0, spent: 0, remaining: 0 }
  limits.forEach((limit, i) => {
    const remaining = Math.max(0, limit.limitUsd - spent[i]!)
    if (i === 0 || remaining < tightest.remaining) tightest = { limit: limit.limitUsd, spent: spent[i]!, remaining }
  })
  return tightest
}
