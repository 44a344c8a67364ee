/**
 * Spending per app and calendar month (UTC). The in-memory store serves one
 * gateway; a cluster shares one through the control plane.
 */
export interface BudgetStore {
  spent(appId: string, period: string): number
  add(appId: string, period: string, cost: number): number
}

export function budgetPeriod(at = new Date()): string {
  return at.toISOString().slice(0, 7)
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
