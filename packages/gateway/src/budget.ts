/** An amount of an app's budget held for one request until its actual cost is known. */
export interface BudgetReservation {
  readonly appId: string
  readonly period: string
  /** USD held: the most the request may cost. */
  readonly amount: number
}

/** What `reserve` answers: the reservation and the spending settled before it, or a refusal. */
export type ReserveResult =
  | { ok: true; reservation: BudgetReservation; spent: number }
  | { ok: false; spent: number; reserved: number }

/**
 * Spending per app and calendar month (UTC), checked and charged atomically:
 * a request reserves the most it may cost before the LLM is called and
 * settles its actual cost after, so concurrent requests cannot together pass
 * an app's limit. Async so that a database can back it (Studio); the
 * in-memory store serves one gateway.
 */
export interface BudgetStore {
  /** Settled spending and the sum of open reservations. */
  usage(appId: string, period: string): Promise<{ spent: number; reserved: number }>
  /**
   * Holds `amount` unless the budget is spent (spent + reserved ≥ limit) or
   * spent + reserved + amount would pass `limit`; one atomic step.
   */
  reserve(request: { appId: string; period: string; amount: number; limit: number }): Promise<ReserveResult>
  /**
   * Ends a reservation, charging `cost` (0 releases it); resolves to the new
   * spending. A reservation settles once: later calls change nothing.
   */
  settle(reservation: BudgetReservation, cost: number): Promise<number>
  /** Charges a cost that needed no reservation (an app with no limit); resolves to the new spending. */
  charge(appId: string, period: string, cost: number): Promise<number>
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

interface Account {
  spent: number
  reserved: number
  /** Open reservations: when none is left, `reserved` is reset to 0 so float rounding cannot accumulate. */
  open: number
}

/** The default BudgetStore: one gateway's spending, in memory. */
export class MemoryBudgetStore implements BudgetStore {
  readonly #accounts = new Map<string, Account>()
  readonly #open = new WeakSet<BudgetReservation>()

  async usage(appId: string, period: string): Promise<{ spent: number; reserved: number }> {
    const account = this.#accounts.get(`${appId}/${period}`)
    return { spent: account?.spent ?? 0, reserved: account?.reserved ?? 0 }
  }

  async reserve(request: { appId: string; period: string; amount: number; limit: number }): Promise<ReserveResult> {
    const account = this.#account(request.appId, request.period)
    const committed = account.spent + account.reserved
    if (committed >= request.limit || committed + request.amount > request.limit) return { ok: false, spent: account.spent, reserved: account.reserved }
    account.reserved += request.amount
    account.open++
    const reservation: BudgetReservation = { appId: request.appId, period: request.period, amount: request.amount }
    this.#open.add(reservation)
    return { ok: true, reservation, spent: account.spent }
  }

  async settle(reservation: BudgetReservation, cost: number): Promise<number> {
    const account = this.#account(reservation.appId, reservation.period)
    if (!this.#open.delete(reservation)) return account.spent
    account.open--
    account.reserved = account.open === 0 ? 0 : account.reserved - reservation.amount
    account.spent += cost
    return account.spent
  }

  async charge(appId: string, period: string, cost: number): Promise<number> {
    const account = this.#account(appId, period)
    account.spent += cost
    return account.spent
  }

  #account(appId: string, period: string): Account {
    const key = `${appId}/${period}`
    let account = this.#accounts.get(key)
    if (!account) {
      account = { spent: 0, reserved: 0, open: 0 }
      this.#accounts.set(key, account)
    }
    return account
  }
}
