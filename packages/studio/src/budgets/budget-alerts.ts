import { EventEmitter } from 'node:events'

/** A budget's spending reached one of its thresholds in a period: raised once per budget, period and threshold. */
export interface BudgetAlert {
  budgetId: string
  scope: 'app' | 'llm'
  /** The app id, or the LLM slug. */
  target: string
  /** Percent of the limit. */
  threshold: number
  limitUsd: number
  /** Spending when the threshold was reached. */
  spentUsd: number
  periodStart: string
  resetsAt: string
  at: string
}

/**
 * Budget alerts as they are raised, after their row is stored. A typed
 * emitter of its own rather than the change feed: an alert is not an admin
 * write, and the gateway feed must not rebuild its config for one. The next
 * issue's event bus relays it (topic `budget.alert`).
 */
export class BudgetAlerts {
  readonly #emitter = new EventEmitter().setMaxListeners(0)

  publish(alert: BudgetAlert): void {
    this.#emitter.emit('alert', alert)
  }

  /** Calls `listener` with every later alert until the returned function is called. */
  subscribe(listener: (alert: BudgetAlert) => void): () => void {
    this.#emitter.on('alert', listener)
    return () => this.#emitter.off('alert', listener)
  }
}
