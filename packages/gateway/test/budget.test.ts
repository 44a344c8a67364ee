import { describe, expect, it } from 'vitest'
import { MemoryBudgetStore, budgetPeriodOf, type BudgetPeriod } from '../src/budget.js'
import type { BudgetLimit, BudgetPeriodRule } from '../src/config.js'

const MONTHLY: BudgetPeriodRule = { kind: 'monthly' }
const iso = (ms: number) => new Date(ms).toISOString()

describe('budgetPeriodOf', () => {
  it('is the UTC calendar month, across month and year ends and back in time', () => {
    expect(budgetPeriodOf(MONTHLY, Date.UTC(2026, 10, 30, 23, 59, 59, 999)).key).toBe('2026-11')
    expect(budgetPeriodOf(MONTHLY, Date.UTC(2026, 11, 1)).key).toBe('2026-12')
    expect(budgetPeriodOf(MONTHLY, Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toEqual({ key: '2026-12', startsAt: Date.UTC(2026, 11, 1), resetsAt: Date.UTC(2027, 0, 1) })
    expect(budgetPeriodOf(MONTHLY, Date.UTC(2027, 0, 1)).key).toBe('2027-01')
    expect(budgetPeriodOf(MONTHLY, Date.UTC(2027, 1, 28, 12)).resetsAt).toBe(Date.UTC(2027, 2, 1))
    expect(budgetPeriodOf(MONTHLY, Date.UTC(2026, 10, 15)).key).toBe('2026-11')
  })

  it('defaults to now', () => {
    expect(budgetPeriodOf(MONTHLY).key).toBe(new Date().toISOString().slice(0, 7))
  })

  it('counts a custom 7-day period from its anchor and resets it at anchor + 7 days', () => {
    const anchor = Date.parse('2026-03-02T09:30:00Z')
    const week: BudgetPeriodRule = { kind: 'days', days: 7, anchor }
    const first = budgetPeriodOf(week, anchor)
    expect(first).toEqual({ key: '2026-03-02T09:30:00.000Z', startsAt: anchor, resetsAt: Date.parse('2026-03-09T09:30:00Z') })
    expect(budgetPeriodOf(week, Date.parse('2026-03-09T09:29:59.999Z'))).toBe(first)
    const second = budgetPeriodOf(week, Date.parse('2026-03-09T09:30:00Z'))
    expect([second.key, iso(second.resetsAt)]).toEqual(['2026-03-09T09:30:00.000Z', '2026-03-16T09:30:00.000Z'])
    // Before the anchor, periods count back from it.
    expect(budgetPeriodOf(week, Date.parse('2026-03-01T00:00:00Z')).key).toBe('2026-02-23T09:30:00.000Z')
  })
})

const limit = (id: string, limitUsd: number): BudgetLimit => ({ id, scope: 'app', target: id, limitUsd, period: MONTHLY, thresholds: [50, 80, 100] })
const period = (key: string): BudgetPeriod => ({ key, startsAt: 0, resetsAt: 1 })

describe('MemoryBudgetStore', () => {
  it('reserves while spent + reserved + the amount stays within the limit, and refuses once the budget is spent', async () => {
    const store = new MemoryBudgetStore()
    const a = limit('a', 1)
    const first = await store.reserve({ limit: a, period: period('p'), amount: 0.4 })
    const second = await store.reserve({ limit: a, period: period('p'), amount: 0.4 })
    expect(first).toMatchObject({ ok: true, spent: 0 })
    expect(second.ok).toBe(true)
    expect(await store.reserve({ limit: a, period: period('p'), amount: 0.4 })).toEqual({ ok: false, spent: 0, reserved: 0.8 })
    if (!first.ok || !second.ok) throw new Error('unreachable')
    expect(await store.settle(first.reservation, 0.1)).toBe(0.1)
    expect(await store.settle(second.reservation, 0.9)).toBe(1)
    expect(await store.usage('a', 'p')).toEqual({ spent: 1, reserved: 0 })
    // Spent: even a request that reserves nothing is refused.
    expect((await store.reserve({ limit: a, period: period('p'), amount: 0 })).ok).toBe(false)
    // Another limit, or another period, counts apart.
    expect((await store.reserve({ limit: limit('b', 1), period: period('p'), amount: 0.5 })).ok).toBe(true)
    expect(await store.usage('a', 'q')).toEqual({ spent: 0, reserved: 0 })
  })

  it('settles a reservation once: a second settle charges nothing', async () => {
    const store = new MemoryBudgetStore()
    const result = await store.reserve({ limit: limit('a', 1), period: period('p'), amount: 0.5 })
    if (!result.ok) throw new Error('unreachable')
    expect(await store.settle(result.reservation, 0.2)).toBe(0.2)
    expect(await store.settle(result.reservation, 0.2)).toBe(0.2)
    expect(await store.usage('a', 'p')).toEqual({ spent: 0.2, reserved: 0 })
  })

  it('keeps only the current period of a limit once the old one has nothing open', async () => {
    const store = new MemoryBudgetStore()
    const a = limit('a', 1)
    const old = await store.reserve({ limit: a, period: period('2026-11'), amount: 0.5 })
    if (!old.ok) throw new Error('unreachable')
    await store.settle(old.reservation, 0.5)
    await store.reserve({ limit: a, period: period('2026-12'), amount: 0.1 })
    expect(await store.usage('a', '2026-11')).toEqual({ spent: 0, reserved: 0 })
    expect(await store.usage('a', '2026-12')).toEqual({ spent: 0, reserved: 0.1 })
  })
})
