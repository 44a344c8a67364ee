/**
 * Spending per app and calendar month (UTC). The in-memory store serves one
 * gateway; a cluster shares one through the control plane.
 */
export interface BudgetStore {
  spent(appId: string, period: string): number
  add(appId: string, period: string, cost: number): number
}

/** The current period, recomputed only when a month ends: this runs on every request. */
let current = { period: '', startsAt: 0, endsAt: 0 }

/** The calendar month (UTC) of `atMs`, as "YYYY-MM": the period budgets are counted in. */
export function budgetPeriod(atMs = Date.now()): string {
  if (atMs >= current.endsAt || atMs < current.startsAt) {
    const at = new Date(atMs)
    const [year, month] = [at.getUTCFullYear(), at.getUTCMonth()]
    current = { period: at.toISOString().slice(0, 7), startsAt: Date.UTC(year, month), endsAt: Date.UTC(year, month + 1) }
  }
  return current.period
}

export class MemoryBudgetStore implements BudgetStore {
  readonly #spent = new Map<string, number>()

  spent(appId: string, period: string): number {
    return this.#spent.get(`${appId}/${period}`) ?? 0
  }

  add(appId: string, period: string, cost: number): number {
    const key = `${appId}/${period}`
    const total = (this.#spent.get(key) ?? 0) + cost
    this.#spent.set(key, total)
    return total
  }
}
