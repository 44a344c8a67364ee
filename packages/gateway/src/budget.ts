import type { BudgetLimit, BudgetPeriodRule } from './config.js'

/** One period of a budget: spending is counted under `key` from `startsAt` until `resetsAt` (epoch ms, exclusive). */
export interface BudgetPeriod {
  /** `2026-12` for a calendar month (UTC); the period's start as an ISO time for a period of days. */
  readonly key: string
  readonly startsAt: number
  readonly resetsAt: number
}

const DAY_MS = 86_400_000

/** The last period computed per rule: recomputed only when one ends, since this runs for every limit of every request. */
const lastPeriod = new WeakMap<BudgetPeriodRule, BudgetPeriod>()

/**
 * The period of `rule` that holds `atMs`: the UTC calendar month, or the
 * `days`-long period counted from `anchor` (before the anchor, periods count
 * back from it the same way). The one definition of budget periods: the
 * gateway counts spending by it and Studio reports resets by it.
 *
 * @example
 * budgetPeriodOf({ kind: 'days', days: 7, anchor: Date.parse('2026-01-01T00:00:00Z') }, Date.parse('2026-01-09T12:00:00Z'))
 * // { key: '2026-01-08T00:00:00.000Z', startsAt: <2026-01-08>, resetsAt: <2026-01-15> }
 */
export function budgetPeriodOf(rule: BudgetPeriodRule, atMs = Date.now()): BudgetPeriod {
  const last = lastPeriod.get(rule)
  if (last && atMs >= last.startsAt && atMs < last.resetsAt) return last
  const period = rule.kind === 'monthly' ? monthOf(atMs) : daysPeriodOf(rule.days, rule.anchor, atMs)
  lastPeriod.set(rule, period)
  return period
}

function monthOf(atMs: number): BudgetPeriod {
  const at = new Date(atMs)
  const [year, month] = [at.getUTCFullYear(), at.getUTCMonth()]
  return { key: at.toISOString().slice(0, 7), startsAt: Date.UTC(year, month), resetsAt: Date.UTC(year, month + 1) }
}

function daysPeriodOf(days: number, anchor: number, atMs: number): BudgetPeriod {
  const length = days * DAY_MS
  const startsAt = anchor + Math.floor((atMs - anchor) / length) * length
  return { key: new Date(startsAt).toISOString(), startsAt, resetsAt: startsAt + length }
}

/** An amount of one budget held for one request until its actual cost is known. */
export interface BudgetReservation {
  readonly limit: BudgetLimit
  readonly period: BudgetPeriod
  /** USD held: the most the request may cost. */
  readonly amount: number
}

/** What `reserve` answers: the reservation and the spending settled before it, or a refusal. */
export type ReserveResult =
  | { ok: true; reservation: BudgetReservation; spent: number }
  | { ok: false; spent: number; reserved: number }

/**
 * Spending per budget limit and period, checked and charged atomically: a
 * request reserves the most it may cost before the LLM is called and settles
 * its actual cost after, so concurrent requests cannot together pass a limit.
 * Async so that a database can back it (Studio); the in-memory store serves
 * one gateway.
 */
export interface BudgetStore {
  /** Settled spending and the sum of open reservations of a limit in a period (by its key). */
  usage(limitId: string, periodKey: string): Promise<{ spent: number; reserved: number }>
  /**
   * Holds `amount` of `limit` in `period` unless the budget is spent
   * (spent + reserved ≥ limitUsd) or spent + reserved + amount would pass
   * it; one atomic step.
   */
  reserve(request: { limit: BudgetLimit; period: BudgetPeriod; amount: number }): Promise<ReserveResult>
  /**
   * Ends a reservation, charging `cost` (0 releases it); resolves to the new
   * spending. A reservation settles once: later calls change nothing.
   */
  settle(reservation: BudgetReservation, cost: number): Promise<number>
}

interface Account {
  spent: number
  reserved: number
  /** Open reservations: when none is left, `reserved` is reset to 0 so float rounding cannot accumulate. */
  open: number
}

/**
 * The default BudgetStore: one gateway's spending, in memory. It keeps the
 * current period of each limit and those with reservations still open; an
 * ended period is dropped once a later one is counted.
 */
export class MemoryBudgetStore implements BudgetStore {
  /** Limit id → period key → account. */
  readonly #accounts = new Map<string, Map<string, Account>>()
  readonly #open = new WeakSet<BudgetReservation>()

  /** Starts from spending counted before (by a store that persists it, such as Studio's). */
  constructor(spent: Iterable<{ limitId: string; periodKey: string; spent: number }> = []) {
    for (const entry of spent) this.#account(entry.limitId, entry.periodKey).spent += entry.spent
  }

  async usage(limitId: string, periodKey: string): Promise<{ spent: number; reserved: number }> {
    const account = this.#accounts.get(limitId)?.get(periodKey)
    return { spent: account?.spent ?? 0, reserved: account?.reserved ?? 0 }
  }

  async reserve(request: { limit: BudgetLimit; period: BudgetPeriod; amount: number }): Promise<ReserveResult> {
    const account = this.#account(request.limit.id, request.period.key)
    const committed = account.spent + account.reserved
    if (committed >= request.limit.limitUsd || committed + request.amount > request.limit.limitUsd) return { ok: false, spent: account.spent, reserved: account.reserved }
    account.reserved += request.amount
    account.open++
    const reservation: BudgetReservation = { limit: request.limit, period: request.period, amount: request.amount }
    this.#open.add(reservation)
    return { ok: true, reservation, spent: account.spent }
  }

  async settle(reservation: BudgetReservation, cost: number): Promise<number> {
    const account = this.#account(reservation.limit.id, reservation.period.key)
    if (!this.#open.delete(reservation)) return account.spent
    account.open--
    account.reserved = account.open === 0 ? 0 : account.reserved - reservation.amount
    account.spent += cost
    return account.spent
  }

  #account(limitId: string, periodKey: string): Account {
    let periods = this.#accounts.get(limitId)
    if (!periods) {
      periods = new Map()
      this.#accounts.set(limitId, periods)
    }
    let account = periods.get(periodKey)
    if (!account) {
      for (const [key, old] of periods) if (old.open === 0) periods.delete(key)
      account = { spent: 0, reserved: 0, open: 0 }
      periods.set(periodKey, account)
    }
    return account
  }
}
