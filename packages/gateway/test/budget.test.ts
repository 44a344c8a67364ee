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
  it('adds up spending per app and period', () => {
    const store = new MemoryBudgetStore()
    expect(store.add('a', '2026-11', 0.5)).toBe(0.5)
    expect(store.add('a', '2026-11', 0.25)).toBe(0.75)
    expect(store.spent('a', '2026-12')).toBe(0)
    expect(store.spent('b', '2026-11')).toBe(0)
  })
})
