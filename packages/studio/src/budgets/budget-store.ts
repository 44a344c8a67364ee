import { MemoryBudgetStore, budgetPeriodOf, type BudgetLimit, type BudgetPeriod, type BudgetReservation, type BudgetStore, type ReserveResult } from '@plugboard/gateway'
import type { Logger } from 'pino'
import type { StudioDb } from '../db/database.js'
import { BudgetAlerts } from './budget-alerts.js'
import { periodRuleOf } from './budget-limits.js'

/** How often spending is written behind to budget_usage. */
const FLUSH_INTERVAL_MS = 250
/** After failed writes, the wait before the next try doubles up to this. */
const MAX_RETRY_DELAY_MS = 5_000
/** Rows per upsert statement. */
const BATCH_ROWS = 500

/** Spending not yet written: one entry per budget and period, however many requests it sums. */
interface Pending {
  budgetId: string
  periodStart: Date
  delta: number
}

/** The thresholds already alerted of a budget in its current period. */
interface Fired {
  periodKey: string
  thresholds: Set<number>
}

export interface StudioBudgetStoreOptions {
  db: StudioDb
  logger: Logger
  /** Default 250 ms. */
  flushIntervalMs?: number
}

/**
 * The gateway's BudgetStore in Studio. The in-memory accounting (the
 * gateway's own MemoryBudgetStore) is the authority within one process:
 * reserve and settle are atomic because they run on one event loop, and the
 * embedded database is locked to one process, so nothing else counts the
 * same budgets. Studio nodes sharing PostgreSQL need a database-atomic
 * variant instead (the scale-out issue's work).
 *
 * Spending of the current periods is loaded from `budget_usage` at start and
 * written behind in batches, never on the request path: every 250 ms and on
 * close, an upsert adding each budget-period's delta (`spent = spent +
 * delta`); a settle after a quiet interval is written at once, so a crash
 * (SIGKILL) loses spending only under sustained traffic, and at most one
 * interval of it. A failed write keeps its deltas and retries with a growing delay
 * (at most 5 s); what waits is one sum per budget and period, so it stays
 * bounded however long the database is away. When a settle takes a budget
 * to one of its thresholds, a `budget_alerts` row is inserted (its primary
 * key makes it once per budget, period and threshold, across restarts too)
 * and the alert is published on `alerts`.
 */
export class StudioBudgetStore implements BudgetStore {
  readonly alerts = new BudgetAlerts()
  readonly #db: StudioDb
  readonly #logger: Logger
  readonly #memory: MemoryBudgetStore
  readonly #open = new WeakSet<BudgetReservation>()
  readonly #fired: Map<string, Fired>
  #pending = new Map<string, Pending>()
  /** Alerts are stored one after another, so they are published in the order they were reached. */
  #alerting: Promise<void> = Promise.resolve()
  #writing: Promise<void> = Promise.resolve()
  #failures = 0
  #retryAt = 0
  /** When the last write began. */
  #wroteAt = 0
  readonly #intervalMs: number
  readonly #timer: NodeJS.Timeout

  private constructor(options: StudioBudgetStoreOptions, memory: MemoryBudgetStore, fired: Map<string, Fired>) {
    this.#db = options.db
    this.#logger = options.logger
    this.#memory = memory
    this.#fired = fired
    this.#intervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS
    this.#timer = setInterval(() => {
      if (Date.now() >= this.#retryAt) void this.flush()
    }, this.#intervalMs).unref()
  }

  /** Loads the spending and the alerts of every budget's current period, then writes behind from then on. */
  static async open(options: StudioBudgetStoreOptions): Promise<StudioBudgetStore> {
    const { db } = options
    const now = Date.now()
    const current = (await db.selectFrom('budgets').select(['id', 'period', 'period_days', 'anchor']).execute()).map((row) => ({ id: row.id, period: budgetPeriodOf(periodRuleOf(row), now) }))
    const keyOf = new Map(current.map(({ id, period }) => [`${id}\n${period.startsAt}`, period.key]))
    const inCurrent = (row: { budget_id: string; period_start: Date }) => keyOf.get(`${row.budget_id}\n${row.period_start.getTime()}`)
    // Only the current periods are read: past ones stay in the tables for reports.
    const starts = current.map(({ id, period }) => ({ id, start: new Date(period.startsAt) }))
    const [usage, alerts] = starts.length
      ? await Promise.all([
          db
            .selectFrom('budget_usage')
            .selectAll()
            .where((eb) => eb.or(starts.map(({ id, start }) => eb.and([eb('budget_id', '=', id), eb('period_start', '=', start)]))))
            .execute(),
          db
            .selectFrom('budget_alerts')
            .select(['budget_id', 'period_start', 'threshold'])
            .where((eb) => eb.or(starts.map(({ id, start }) => eb.and([eb('budget_id', '=', id), eb('period_start', '=', start)]))))
            .execute(),
        ])
      : [[], []]
    const spent = usage.flatMap((row) => {
      const periodKey = inCurrent(row)
      return periodKey === undefined ? [] : [{ limitId: row.budget_id, periodKey, spent: row.spent }]
    })
    const fired = new Map<string, Fired>()
    for (const row of alerts) {
      const periodKey = inCurrent(row)
      if (periodKey === undefined) continue
      const entry = fired.get(row.budget_id) ?? { periodKey, thresholds: new Set<number>() }
      entry.thresholds.add(row.threshold)
      fired.set(row.budget_id, entry)
    }
    return new StudioBudgetStore(options, new MemoryBudgetStore(spent), fired)
  }

  usage(limitId: string, periodKey: string): Promise<{ spent: number; reserved: number }> {
    return this.#memory.usage(limitId, periodKey)
  }

  async reserve(request: { limit: BudgetLimit; period: BudgetPeriod; amount: number }): Promise<ReserveResult> {
    const result = await this.#memory.reserve(request)
    if (result.ok) this.#open.add(result.reservation)
    return result
  }

  async settle(reservation: BudgetReservation, cost: number): Promise<number> {
    const first = this.#open.delete(reservation)
    const spent = await this.#memory.settle(reservation, cost)
    if (first && cost > 0) {
      this.#add(reservation.limit.id, new Date(reservation.period.startsAt), cost)
      this.#checkThresholds(reservation.limit, reservation.period, spent)
      // Quiet for an interval (and not retrying): no batch to wait for.
      const now = Date.now()
      if (now - this.#wroteAt >= this.#intervalMs && now >= this.#retryAt) {
        this.#wroteAt = now
        void this.flush()
      }
    }
    return spent
  }

  /** Writes what is pending and waits for the alerts being stored; resolves also when the write failed (it is kept for the next). */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#write())
    return this.#writing
  }

  /** Stops writing behind after a last flush; spending that could not be written then is logged, with its amounts. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
    if (this.#pending.size > 0) this.#logger.error({ pending: [...this.#pending.values()] }, 'budget spending not saved: the database did not take it')
  }

  #add(budgetId: string, periodStart: Date, delta: number): void {
    const key = `${budgetId}\n${periodStart.getTime()}`
    const entry = this.#pending.get(key)
    if (entry) entry.delta += delta
    else this.#pending.set(key, { budgetId, periodStart, delta })
  }

  async #write(): Promise<void> {
    await this.#alerting
    if (this.#pending.size === 0) return
    this.#wroteAt = Date.now()
    const batch = [...this.#pending.values()]
    this.#pending = new Map()
    try {
      // A budget deleted since its spending was counted has no row to add to (and would fail the whole batch).
      const ids = [...new Set(batch.map((entry) => entry.budgetId))]
      const existing = new Set((await this.#db.selectFrom('budgets').select('id').where('id', 'in', ids).execute()).map((row) => row.id))
      const rows = batch.filter((entry) => existing.has(entry.budgetId))
      for (let i = 0; i < rows.length; i += BATCH_ROWS) {
        await this.#db
          .insertInto('budget_usage')
          .values(rows.slice(i, i + BATCH_ROWS).map((entry) => ({ budget_id: entry.budgetId, period_start: entry.periodStart, spent: entry.delta })))
          .onConflict((oc) => oc.columns(['budget_id', 'period_start']).doUpdateSet((eb) => ({ spent: eb('budget_usage.spent', '+', eb.ref('excluded.spent')) })))
          .execute()
        // Written: not to be added again if a later chunk fails.
        for (const entry of rows.slice(i, i + BATCH_ROWS)) entry.delta = 0
      }
      this.#failures = 0
      this.#retryAt = 0
    } catch (error) {
      for (const entry of batch) if (entry.delta !== 0) this.#add(entry.budgetId, entry.periodStart, entry.delta)
      this.#failures++
      this.#retryAt = Date.now() + Math.min(MAX_RETRY_DELAY_MS, FLUSH_INTERVAL_MS * 2 ** this.#failures)
      this.#logger.warn({ err: error, failures: this.#failures, pending: this.#pending.size }, 'budget spending not written yet; retrying')
    }
  }

  #checkThresholds(limit: BudgetLimit, period: BudgetPeriod, spent: number): void {
    let fired = this.#fired.get(limit.id)
    if (!fired || fired.periodKey !== period.key) {
      fired = { periodKey: period.key, thresholds: new Set() }
      this.#fired.set(limit.id, fired)
    }
    for (const threshold of limit.thresholds) {
      if (fired.thresholds.has(threshold) || spent < (limit.limitUsd * threshold) / 100) continue
      fired.thresholds.add(threshold)
      this.#alerting = this.#alerting.then(() => this.#raise(limit, period, threshold, spent, fired))
    }
  }

  async #raise(limit: BudgetLimit, period: BudgetPeriod, threshold: number, spent: number, fired: Fired): Promise<void> {
    const at = new Date()
    try {
      const stored = await this.#db
        .insertInto('budget_alerts')
        .values({ budget_id: limit.id, period_start: new Date(period.startsAt), threshold, spent, at })
        .onConflict((oc) => oc.columns(['budget_id', 'period_start', 'threshold']).doNothing())
        .returning('threshold')
        .executeTakeFirst()
      // Stored before (another start of this Studio): already published then.
      if (!stored) return
      this.alerts.publish({
        budgetId: limit.id,
        scope: limit.scope,
        target: limit.target,
        threshold,
        limitUsd: limit.limitUsd,
        spentUsd: spent,
        periodStart: new Date(period.startsAt).toISOString(),
        resetsAt: new Date(period.resetsAt).toISOString(),
        at: at.toISOString(),
      })
    } catch (error) {
      // A deleted budget never alerts; otherwise the next settle tries again.
      if ((error as { code?: string }).code !== '23503') fired.thresholds.delete(threshold)
      this.#logger.warn({ err: error, budget: limit.id, threshold }, 'budget alert not stored')
    }
  }
}
