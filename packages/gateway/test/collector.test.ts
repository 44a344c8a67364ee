import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '@plugboard/gateway'
import { fixtureSource, post, startGateway } from './helpers.js'

let gateway: Gateway

beforeAll(async () => {
  ;({ gateway } = await startGateway({
    yaml: `
plugins: [{ name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [data_collection] }]
collector: { maxQueue: 3, batchSize: 1000, flushIntervalMs: 60000 }`,
  }))
})
afterAll(() => gateway.close())

describe('data collection queue', () => {
  it('never holds a request: when full it drops records and counts them', async () => {
    for (let i = 0; i < 4; i++) expect((await post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200)
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text()
    expect(metrics).toMatch(/plugboard_collector_queue_depth 3/)
    const dropped = [...metrics.matchAll(/plugboard_collector_dropped_total\{kind="(\w+)"\} (\d+)/g)].reduce((sum, m) => sum + Number(m[2]), 0)
    expect(dropped).toBe(4 * 3 - 3)
  })
})
