import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryBudgetStore, budgetPeriodOf, type Gateway } from '@plugboard/gateway'
import { DEMO_KEY, post, startGateway } from './helpers.js'

// Limits per app and per LLM, monthly or in periods of days, and key expiry, on a gateway whose clock the test moves.

const OTHER_KEY = 'pb-other-key-00000000'
const WEEKLY_KEY = 'pb-weekly-key-0000000'
const EXPIRING_KEY = 'pb-expiring-key-00000'
const ROOMY_KEY = 'pb-roomy-key-00000000'
/** Each request reserves $0.00004 and costs $0.000032 (see helpers): a $0.0001 limit takes two, then refuses. */
const LIMIT = 0.0001

let gateway: Gateway
const budgets = new MemoryBudgetStore()
let now = Date.parse('2026-03-03T12:00:00Z')

beforeAll(async () => {
  ;({ gateway } = await startGateway({
    clock: () => now,
    budgets,
    llms: `
  - slug: shared
    vendor: mock
    models: [mock-shared]
    mock: { completionTokens: 12, latencyMs: 50 }
  - slug: capped
    vendor: mock
    models: [mock-capped]
    mock: { completionTokens: 12 }`,
    apps: `
  - id: other
    keys: [{ value: ${OTHER_KEY} }, { value: ${EXPIRING_KEY}, expiresAt: "2026-06-01T00:00:00Z" }]
  - id: weekly
    keys: [{ value: ${WEEKLY_KEY} }]
    allowedLlms: [mock]
  - id: roomy
    keys: [{ value: ${ROOMY_KEY} }]
    allowedLlms: [shared]`,
    pricing: `  mock-capped: { input: 1, output: 2 }
  mock-shared: { input: 1, output: 2 }`,
    limits: `
    - { id: capped-llm, llm: capped, limit: ${LIMIT} }
    - { id: shared-llm, llm: shared, limit: 0.00021 }
    - { id: roomy-app, app: roomy, limit: 1 }
    - { id: weekly-app, app: weekly, limit: ${LIMIT}, period: { days: 7, anchor: "2026-03-02T00:00:00Z" } }`,
  }))
})
afterAll(() => gateway?.close())

const chat = (model: string, key: string) => post(`${gateway.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` })

describe('a per-LLM budget', () => {
  it('counts the requests of every app to that LLM and refuses them all once spent, naming the budget and its reset', async () => {
    expect((await chat('mock-capped', DEMO_KEY)).status).toBe(200)
    expect((await chat('mock-capped', OTHER_KEY)).status).toBe(200)
    for (const key of [DEMO_KEY, OTHER_KEY]) {
      const refused = await chat('mock-capped', key)
      expect(refused.status).toBe(429)
      expect(refused.json.error).toMatchObject({ code: 'BUDGET_EXCEEDED', type: 'insufficient_quota' })
      expect(refused.json.error.message).toContain('budget "capped-llm" (llm "capped", $0.0001 per month)')
      expect(refused.json.error.message).toContain('2026-04-01T00:00:00.000Z')
      expect(refused.headers.get('x-plugboard-budget')).toBe('capped-llm')
      expect(refused.headers.get('x-plugboard-budget-resets-at')).toBe('2026-04-01T00:00:00.000Z')
      // Retry-After only when nothing can be served before the reset: the budget is spent, not merely too low for this request.
      const spent = (refused.json.error.message as string).includes('is spent')
      expect(refused.headers.get('retry-after') === null).toBe(!spent)
    }
    // The other LLM is not limited by it.
    expect((await chat('mock-gpt', OTHER_KEY)).status).toBe(200)
  })
})

describe('an app budget and an LLM budget together', () => {
  it('take 64 concurrent requests at most one reservation over the tighter one, and release what a refusal took of the other', async () => {
    const month = budgetPeriodOf({ kind: 'monthly' }, now).key
    const responses = await Promise.all(Array.from({ length: 64 }, () => chat('mock-shared', ROOMY_KEY)))
    const ok = responses.filter((r) => r.status === 200).length
    expect(ok + responses.filter((r) => r.status === 429 && r.headers.get('x-plugboard-budget') === 'shared-llm').length).toBe(64)
    for (let i = 0; i < 100 && (await budgets.usage('roomy-app', month)).reserved > 0; i++) await sleep(20)
    const llm = await budgets.usage('shared-llm', month)
    const app = await budgets.usage('roomy-app', month)
    expect(llm.spent).toBeLessThanOrEqual(0.00021 + 0.00004)
    expect(llm.spent).toBeCloseTo(ok * 0.000032, 12)
    // The app's limit was charged exactly what the LLM's was: the refused requests' holds on it were released.
    expect(app).toEqual({ spent: llm.spent, reserved: 0 })
  })
})

describe('a custom 7-day budget', () => {
  it('refuses once spent until anchor + 7 days, then serves again in the next period', async () => {
    now = Date.parse('2026-03-03T12:00:00Z')
    expect((await chat('mock-gpt', WEEKLY_KEY)).status).toBe(200)
    expect((await chat('mock-gpt', WEEKLY_KEY)).status).toBe(200)
    now = Date.parse('2026-03-08T23:59:59Z')
    const refused = await chat('mock-gpt', WEEKLY_KEY)
    expect(refused.status).toBe(429)
    expect(refused.json.error.message).toContain('budget "weekly-app" (app "weekly", $0.0001 per 7 days)')
    expect(refused.headers.get('x-plugboard-budget')).toBe('weekly-app')
    expect(refused.headers.get('x-plugboard-budget-resets-at')).toBe('2026-03-09T00:00:00.000Z')
    now = Date.parse('2026-03-09T00:00:00Z')
    expect((await chat('mock-gpt', WEEKLY_KEY)).status).toBe(200)
  })
})

describe('key expiry', () => {
  it('takes a key until its expiresAt, then answers 401 API_KEY_EXPIRED', async () => {
    now = Date.parse('2026-05-31T23:59:59Z')
    expect((await chat('mock-gpt', EXPIRING_KEY)).status).toBe(200)
    now = Date.parse('2026-06-01T00:00:00Z')
    const expired = await chat('mock-gpt', EXPIRING_KEY)
    expect(expired.status).toBe(401)
    expect(expired.json.error).toMatchObject({ code: 'API_KEY_EXPIRED', type: 'authentication_error' })
    expect(expired.json.error.message).toContain('2026-06-01T00:00:00.000Z')
    // The app's other key still works.
    expect((await chat('mock-gpt', OTHER_KEY)).status).toBe(200)
  })
})
