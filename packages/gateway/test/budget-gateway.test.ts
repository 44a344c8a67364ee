import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBudgetStore, type Gateway } from '@plugboard/gateway'
import { post, startGateway, thisMonth } from './helpers.js'

// Budgets are reserved before the LLM is called and settled after: concurrency cannot overspend them.

const TIGHT_KEY = 'pb-tight-key-00000000'
/**
 * A request of one short message reserves (8 prompt + 16 completion × 2) /
 * 1e6 = $0.00004 and costs (8 + 12 × 2) / 1e6 = $0.000032: the budget fits
 * five reservations at once and six requests in all (no sum near a boundary).
 */
const LIMIT = 0.00021
const RESERVATION = 0.00004
const COST = 0.000032

let gateway: Gateway
const budgets = new MemoryBudgetStore()

beforeAll(async () => {
  ;({ gateway } = await startGateway({
    budgets,
    llms: `
  - slug: waiting
    vendor: mock
    models: [mock-wait]
    mock: { latencyMs: 100, completionTokens: 12, chunks: 12, chunkDelayMs: 50 }`,
    apps: `
  - id: tight
    keys: [{ value: ${TIGHT_KEY} }]
    allowedLlms: [waiting]
    monthlyBudget: ${LIMIT}`,
    pricing: '  mock-wait: { input: 1, output: 2 }',
  }))
})
afterAll(() => gateway?.close())

const chat = (stream = false) => ({ model: 'mock-wait', messages: [{ role: 'user', content: 'hi' }], stream })
const usage = () => budgets.usage('app:tight', thisMonth())

async function settled() {
  for (let i = 0; i < 200 && (await usage()).reserved > 0; i++) await sleep(20)
  return usage()
}

describe('budgets under concurrency', () => {
  it('lets 64 concurrent requests overspend by at most one reservation, charging each success its cost', async () => {
    const responses = await Promise.all(Array.from({ length: 64 }, () => post(`${gateway.url}/v1/chat/completions`, chat(), { authorization: `Bearer ${TIGHT_KEY}` })))
    const ok = responses.filter((r) => r.status === 200).length
    const refused = responses.filter((r) => r.status === 429 && r.json.error.code === 'BUDGET_EXCEEDED').length
    expect(ok + refused).toBe(64)
    expect(ok).toBeGreaterThan(0)
    // Each refusal names the budget that refused and when it resets: the first of next month (UTC).
    const at = new Date()
    const nextMonth = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1)).toISOString()
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(response.headers.get('x-plugboard-budget')).toBe('app:tight')
      expect(response.headers.get('x-plugboard-budget-resets-at')).toBe(nextMonth)
      expect(response.json.error.message).toMatch(/budget "app:tight" \(app "tight", \$0\.00021 per month\)/)
      expect(response.json.error.message).toContain(nextMonth)
    }
    const { spent, reserved } = await settled()
    expect(reserved).toBe(0)
    expect(spent).toBeCloseTo(ok * COST, 12)
    expect(spent).toBeLessThanOrEqual(LIMIT + RESERVATION)
    // One at a time, requests fit while their reservation does, and then never again: six in all fit the budget.
    let more = 0
    while (more < 10 && (await post(`${gateway.url}/v1/chat/completions`, chat(), { authorization: `Bearer ${TIGHT_KEY}` })).status === 200) more++
    expect(ok + more).toBe(Math.floor((LIMIT - RESERVATION) / COST) + 1)
    expect((await settled()).spent).toBeLessThanOrEqual(LIMIT)
  })
})

describe('reservations never leak', () => {
  let gatewayB: Gateway
  const store = new MemoryBudgetStore()
  beforeAll(async () => {
    ;({ gateway: gatewayB } = await startGateway({
      budgets: store,
      llms: `
  - slug: waiting
    vendor: mock
    models: [mock-wait]
    mock: { latencyMs: 100, completionTokens: 12, chunks: 12, chunkDelayMs: 50 }
  - slug: hanging
    vendor: mock
    models: [mock-hang]
    mock: { latencyMs: 60000 }`,
      apps: `
  - id: tight
    keys: [{ value: ${TIGHT_KEY} }]
    allowedLlms: [waiting, hanging]
    monthlyBudget: 1`,
      pricing: `  mock-wait: { input: 1, output: 2 }
  mock-hang: { input: 1, output: 2 }`,
    }))
  })
  afterAll(() => gatewayB?.close())

  const send = (body: unknown, signal?: AbortSignal) =>
    fetch(`${gatewayB.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TIGHT_KEY}` },
      body: JSON.stringify(body),
      signal,
    })
  const tight = () => store.usage('app:tight', thisMonth())

  it('settles what was streamed when the client leaves mid-stream', async () => {
    const controller = new AbortController()
    const response = await send(chat(true), controller.signal)
    await response.body!.getReader().read()
    expect((await tight()).reserved).toBeCloseTo(RESERVATION, 12)
    controller.abort()
    for (let i = 0; i < 200 && (await tight()).reserved > 0; i++) await sleep(20)
    const after = await tight()
    expect(after.reserved).toBe(0)
    expect(after.spent).toBeGreaterThan(0)
  })

  it('releases the reservation when the client leaves before the LLM answered', async () => {
    const before = await tight()
    const controller = new AbortController()
    const pending = send({ ...chat(), model: 'mock-hang' }, controller.signal).catch(() => undefined)
    for (let i = 0; i < 100 && (await tight()).reserved === 0; i++) await sleep(5)
    controller.abort()
    await pending
    for (let i = 0; i < 200 && (await tight()).reserved > 0; i++) await sleep(20)
    expect(await tight()).toEqual({ spent: before.spent, reserved: 0 })
  })
})
