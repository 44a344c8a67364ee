import { describe, expect, it } from 'vitest'
import { MemoryBudgetStore, budgetPeriod } from '../src/budget.js'

describe('budgetPeriod', () => {
  it('is the UTC calendar month, across month and year ends and back in time', () => {
    expect(budgetPeriod(Date.UTC(2026, 10, 30, 23, 59, 59, 999))).toBe('2026-11')
    expect(budgetPeriod(Date.UTC(2026, 11, 1))).toBe('2026-12')
    expect(budgetPeriod(Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toBe('2026-12')
    expect(budgetPeriod(Date.UTC(2027, 0, 1))).toBe('2027-01')
    expect(budgetPeriod(Date.UTC(2027, 1, 28, 12))).toBe('2027-02')
    expect(budgetPeriod(Date.UTC(2026, 10, 15))).toBe('2026-11')
  })

  it('defaults to now', () => {
    expect(budgetPeriod()).toBe(new Date().toISOString().slice(0, 7))
  })
})

describe('MemoryBudgetStore', () => {
  it('adds up spending per app and period', async () => {
    const store = new MemoryBudgetStore()
    expect(await store.charge('a', '2026-11', 0.5)).toBe(0.5)
    expect(await store.charge('a', '2026-11', 0.25)).toBe(0.75)
    expect(await store.usage('a', '2026-12')).toEqual({ spent: 0, reserved: 0 })
    expect(await store.usage('b', '2026-11')).toEqual({ spent: 0, reserved: 0 })
  })

  it('reserves while spent + reserved + the amount stays within the limit, and refuses once the budget is spent', async () => {
    const store = new MemoryBudgetStore()
    const first = await store.reserve({ appId: 'a', period: 'p', amount: 0.4, limit: 1 })
    const second = await store.reserve({ appId: 'a', period: 'p', amount: 0.4, limit: 1 })
    expect(first).toMatchObject({ ok: true, spent: 0 })
    expect(second.ok).toBe(true)
    expect(await store.reserve({ appId: 'a', period: 'p', amount: 0.4, limit: 1 })).toEqual({ ok: false, spent: 0, reserved: 0.8 })
    if (!first.ok || !second.ok) throw new Error('unreachable')
    expect(await store.settle(first.reservation, 0.1)).toBe(0.1)
    expect(await store.settle(second.reservation, 0.9)).toBe(1)
    expect(await store.usage('a', 'p')).toEqual({ spent: 1, reserved: 0 })
    // Spent: even a request that reserves nothing is refused.
    expect((await store.reserve({ appId: 'a', period: 'p', amount: 0, limit: 1 })).ok).toBe(false)
  })

  it('settles a reservation once: a second settle charges nothing', async () => {
    const store = new MemoryBudgetStore()
    const result = await store.reserve({ appId: 'a', period: 'p', amount: 0.5, limit: 1 })
    if (!result.ok) throw new Error('unreachable')
    expect(await store.settle(result.reservation, 0.2)).toBe(0.2)
    expect(await store.settle(result.reservation, 0.2)).toBe(0.2)
    expect(await store.usage('a', 'p')).toEqual({ spent: 0.2, reserved: 0 })
  })
})
