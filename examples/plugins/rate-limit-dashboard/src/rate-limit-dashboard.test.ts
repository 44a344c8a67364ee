import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { RateLimitDashboard } from './rate-limit-dashboard.js'

const app = (id: string) => ({ id, name: id, allowedLlms: ['mock'], monthlyBudget: 0, metadata: {} })

async function setup(config: unknown = { requestsPerMinute: 10 }) {
  const clock = { now: Date.parse('2026-01-02T03:04:05.000Z') }
  // One in-process host stands for both halves: the limiter's buckets and the dashboard's RPC share the KV namespace, as in Studio.
  const host = await createTestHost(new RateLimitDashboard(() => clock.now), { config: config as never, scopes: ['kv.readwrite'] })
  const requests = async (appId: string, count: number) => {
    for (let i = 0; i < count; i++) await host.postAuth({ context: { app: app(appId) } })
  }
  return { host, clock, requests }
}

describe('RateLimitDashboard (in-process)', () => {
  it('declares its page, sidebar entry, app tab, assets and RPC method beside the limiter it is', async () => {
    const { host } = await setup()
    expect(host.manifest()).toMatchObject({
      id: 'rate-limit-dashboard',
      capabilities: expect.arrayContaining(['post_auth', 'response', 'ui_provider']),
      permissions: { services: ['kv.readwrite'] },
      ui: {
        routes: [{ path: '/', element: 'rate-limit-dashboard-chart', module: 'rate-limits.js' }],
        sidebar: [{ title: 'Rate limits', path: '/' }],
        appTabs: [{ element: 'rate-limit-dashboard-app', module: 'rate-limits.js' }],
        rpc: ['counters'],
      },
    })
  })

  it("answers counters: each app's requests used this minute, busiest first, refilled as time passes", async () => {
    const { host, clock, requests } = await setup({ requestsPerMinute: 10, tokensPerMinute: 1000 })
    expect(await host.uiRpc('counters')).toEqual({ result: { at: '2026-01-02T03:04:05.000Z', limits: { requestsPerMinute: 10, tokensPerMinute: 1000 }, apps: [] } })
    await requests('alpha', 2)
    await requests('beta', 6)
    expect(await host.uiRpc('counters')).toMatchObject({
      result: {
        apps: [
          { appId: 'beta', requestsUsed: 6, requestsLeft: 4, tokensUsed: 0 },
          { appId: 'alpha', requestsUsed: 2, requestsLeft: 8, tokensUsed: 0 },
        ],
      },
    })
    clock.now += 12_000 // two requests come back
    expect(await host.uiRpc('counters', { appId: 'beta' })).toMatchObject({ result: { apps: [{ appId: 'beta', requestsUsed: 4, requestsLeft: 6 }] } })
    expect(await host.uiRpc('counters', { appId: 'nobody' })).toMatchObject({ result: { apps: [] } })
  })

  it('still limits: the counters are the buckets it blocks by', async () => {
    const { host, requests } = await setup({ requestsPerMinute: 2 })
    await requests('alpha', 2)
    expect(await host.postAuth({ context: { app: app('alpha') } })).toMatchObject({ action: 'block', status: 429 })
    expect(await host.uiRpc('counters')).toMatchObject({ result: { limits: { tokensPerMinute: null }, apps: [{ appId: 'alpha', requestsUsed: 2, tokensUsed: null }] } })
  })

  it('serves its component and the UI SDK it imports as JavaScript, and nothing else', async () => {
    const { host } = await setup()
    const page = await host.asset('rate-limits.js')
    expect(page).toMatchObject({ status: 200, contentType: 'text/javascript' })
    expect(page.body.toString()).toBe(readFileSync(new URL('../ui/rate-limits.js', import.meta.url), 'utf8'))
    expect(page.body.toString()).toContain("from './ui-sdk.js'")
    expect((await host.asset('ui-sdk.js')).body.toString()).toContain('export function contextOf')
    expect((await host.asset('../package.json')).status).toBe(404)
  })

  it('refuses an RPC method it does not have', async () => {
    const { host } = await setup()
    expect(await host.uiRpc('reset')).toEqual({ error: { code: 'RPC_METHOD_UNKNOWN', message: expect.stringContaining('"reset"') } })
  })
})
