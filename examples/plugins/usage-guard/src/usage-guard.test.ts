import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestHost, type TestHost } from '@plugboard/sdk/testing'
import { COUNTS_TOPIC, UsageGuard, parseBatch, parseBlocked } from './usage-guard.js'

const DAY = '2026-03-04'
const app = (id: string) => ({ id, name: id, allowedLlms: [], monthlyBudget: 0, metadata: {} })
const grants = { scopes: ['events.publish' as const, 'events.subscribe' as const, 'kv.readwrite' as const], topics: { publish: ['usage-guard.>'], subscribe: ['usage-guard.>'] } }

let clock = Date.parse(`${DAY}T12:00:00Z`)
const hosts: TestHost[] = []
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close()
  clock = Date.parse(`${DAY}T12:00:00Z`)
})

/** One half of the plugin in its runtime, its session ready. */
async function half(runtime: 'gateway' | 'studio', config: unknown = null) {
  const host = await createTestHost(new UsageGuard({ now: () => clock, flushEvery: 3, flushIntervalMs: 60_000 }), { runtime, config: config as never, ...grants })
  hosts.push(host)
  await host.sessionReady()
  return host
}

/** What a real host does with `up` events: hands them to the Studio half's subscriptions. */
async function relay(gateway: TestHost, studio: TestHost) {
  for (const event of gateway.relayed.splice(0)) await studio.events.publish(event)
}

async function pendingIn(studio: TestHost, expected: number) {
  for (let i = 0; i < 100; i++) {
    const usage = await studio.uiRpc('usage')
    if ('result' in usage && (usage.result as { pending: number }).pending >= expected) return
    await sleep(5)
  }
  throw new Error(`the Studio half never had ${expected} requests pending`)
}

describe('UsageGuard (in-process)', () => {
  it('declares both runtimes, its scopes, topics, schedule and admin RPC', async () => {
    const host = await half('studio')
    expect(host.manifest()).toMatchObject({
      runtimes: ['gateway', 'studio'],
      capabilities: expect.arrayContaining(['post_auth', 'scheduler', 'session_aware', 'ui_provider', 'config_provider']),
      permissions: { services: ['events.publish', 'events.subscribe', 'kv.readwrite'], events: { publish: ['usage-guard.>'], subscribe: ['usage-guard.>'] } },
      schedules: [{ id: 'aggregate', cron: '* * * * *', timezone: 'UTC' }],
      ui: { rpc: ['usage'] },
    })
  })

  it('gateway half: passes requests and publishes their counts up in batches', async () => {
    const gateway = await half('gateway')
    for (const id of ['a', 'a', 'b']) expect(await gateway.postAuth({ context: { app: app(id) } })).toEqual({ action: 'pass' })
    expect(await gateway.postAuth({ context: {} })).toEqual({ action: 'pass' })
    await sleep(10)
    expect(gateway.relayed).toHaveLength(1)
    expect(gateway.relayed[0]).toMatchObject({ topic: COUNTS_TOPIC, source: 'usage-guard' })
    expect(JSON.parse(gateway.relayed[0]!.payload.toString())).toEqual({ counts: { a: 2, b: 1 } })
  })

  it('gateway half: sends what is left when its session closes', async () => {
    const gateway = await half('gateway')
    await gateway.postAuth({ context: { app: app('a') } })
    expect(gateway.relayed).toHaveLength(0)
    await gateway.close()
    expect(gateway.relayed).toHaveLength(1)
  })

  it('Studio half: totals what gateways sent when the schedule runs; the admin RPC answers it', async () => {
    const gateway = await half('gateway')
    const studio = await half('studio')
    for (const id of ['a', 'b', 'a', 'a', 'a', 'a']) await gateway.postAuth({ context: { app: app(id) } })
    await sleep(10)
    await relay(gateway, studio)
    await pendingIn(studio, 6)
    expect(await studio.scheduledTask({ scheduleId: 'aggregate' })).toEqual({ apps: 2, requests: 6, blocked: [] })
    expect(await studio.uiRpc('usage')).toEqual({ result: { totals: { a: 5, b: 1 }, today: { a: 5, b: 1 }, blocked: [], limits: {}, pending: 0 } })
    expect((await studio.kv.get('usage:a'))?.toString()).toBe('5')
    // The next day starts from zero; the totals go on.
    clock += 24 * 60 * 60_000
    await studio.events.publish({ topic: COUNTS_TOPIC, payload: Buffer.from('{"counts":{"a":2}}'), source: 'usage-guard', timestampMs: clock, direction: 1 })
    await pendingIn(studio, 2)
    await studio.scheduledTask({ scheduleId: 'aggregate' })
    expect(await studio.uiRpc('usage')).toMatchObject({ result: { totals: { a: 7, b: 1 }, today: { a: 2 } } })
  })

  it('Studio half: ignores garbage batches, saying why, and keeps counting the good ones', async () => {
    const studio = await half('studio')
    const publish = (payload: string) => studio.events.publish({ topic: COUNTS_TOPIC, payload: Buffer.from(payload), source: 'usage-guard', timestampMs: clock, direction: 1 })
    await publish('not json')
    await publish('{"counts":[1,2]}')
    await publish(JSON.stringify({ counts: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`app-${i}`, 1])) }))
    await publish(JSON.stringify({ counts: { good: 2, negative: -5, huge: 1e12, fractional: 1.5, ['x'.repeat(300)]: 1 } }))
    await pendingIn(studio, 2)
    expect(await studio.scheduledTask({ scheduleId: 'aggregate' })).toEqual({ apps: 1, requests: 2, blocked: [] })
    expect(studio.logs.filter((entry) => entry.message === 'usage batch ignored').map((entry) => entry.fields.problem)).toEqual(['not JSON', 'not { "counts": { … } }', '10001 apps, more than 10000'])
  })

  it('guards: Studio publishes the apps at their daily limit down, and the gateway answers their requests 429 until the day ends', async () => {
    const config = { limits: { a: 3, b: 100 } }
    const studio = await half('studio', config)
    const gateway = await half('gateway', config)
    for (let i = 0; i < 3; i++) expect((await gateway.postAuth({ context: { app: app('a') } })).action).toBe('pass')
    await sleep(10)
    await relay(gateway, studio)
    await pendingIn(studio, 3)
    expect(await studio.scheduledTask({ scheduleId: 'aggregate' })).toEqual({ apps: 1, requests: 3, blocked: ['a'] })
    expect(studio.relayed).toHaveLength(1)
    expect(JSON.parse(studio.relayed[0]!.payload.toString())).toEqual({ day: DAY, blocked: { a: { count: 3, limit: 3 } } })
    expect(await studio.uiRpc('usage')).toMatchObject({ result: { blocked: ['a'], today: { a: 3 } } })

    await relay(studio, gateway)
    let blocked = await gateway.postAuth({ context: { app: app('a') } })
    for (let i = 0; i < 100 && blocked.action === 'pass'; i++) {
      await sleep(5)
      blocked = await gateway.postAuth({ context: { app: app('a') } })
    }
    expect(blocked).toMatchObject({ action: 'block', status: 429, headers: { 'retry-after': String(12 * 3600) } })
    expect(blocked.action === 'block' && blocked.json()).toEqual({
      error: { code: 'USAGE_LIMIT_EXCEEDED', type: 'rate_limit_error', message: 'app a made 3 requests today (UTC), its limit is 3; it may send again after 00:00 UTC' },
    })
    // Other apps pass; a block of another day does not hold.
    expect((await gateway.postAuth({ context: { app: app('b') } })).action).toBe('pass')
    clock += 24 * 60 * 60_000
    expect((await gateway.postAuth({ context: { app: app('a') } })).action).toBe('pass')
  })

  it('gateway half: ignores a blocked list that is not one, keeping what it knew', async () => {
    const gateway = await half('gateway', { limits: { a: 1 } })
    const down = (payload: string) => gateway.events.publish({ topic: 'usage-guard.blocked', payload: Buffer.from(payload), source: 'usage-guard', timestampMs: clock, direction: 2 })
    await down(JSON.stringify({ day: DAY, blocked: { a: { count: 1, limit: 1 } } }))
    await down('{"day":7}')
    await down('garbage')
    await sleep(10)
    expect((await gateway.postAuth({ context: { app: app('a') } })).action).toBe('block')
    expect(gateway.logs.filter((entry) => entry.message === 'blocked apps ignored: not { day, blocked }')).toHaveLength(2)
  })

  it('lifts a block when a raised limit is no longer reached', async () => {
    const studio = await half('studio', { limits: { a: 10 } })
    // What an earlier run under a limit of 1 left: today's counter at 2.
    await studio.kv.set('day:2026-03-04:a', '2')
    expect(await studio.scheduledTask({ scheduleId: 'aggregate' })).toEqual({ apps: 0, requests: 0, blocked: [] })
    expect(JSON.parse(studio.relayed[0]!.payload.toString())).toEqual({ day: DAY, blocked: {} })
  })

  it('publishes nothing down without limits', async () => {
    const studio = await half('studio')
    await studio.scheduledTask({ scheduleId: 'aggregate' })
    expect(studio.relayed).toEqual([])
  })

  it('refuses an unknown schedule or RPC method, and bad config', async () => {
    const studio = await half('studio')
    await expect(studio.scheduledTask({ scheduleId: 'nope' })).rejects.toMatchObject({ code: 'SCHEDULE_UNKNOWN' })
    expect(await studio.uiRpc('reset')).toMatchObject({ error: { code: 'RPC_METHOD_UNKNOWN' } })
    for (const config of [[], { limits: [] }, { limits: { a: 0 } }, { limits: { a: 'many' } }, { limits: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`a${i}`, 1])) }]) {
      await expect(createTestHost(new UsageGuard(), { config: config as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    }
  })

  it('reads a batch without ever throwing', () => {
    expect(parseBatch(Buffer.from([0xff, 0xfe]))).toEqual({ problem: 'not JSON' })
    expect(parseBatch(Buffer.from('{"counts":{"a":1}}'))).toEqual({ counts: { a: 1 } })
    expect(parseBlocked(Buffer.from('{"day":"2026-03-04","blocked":{"a":{"count":1,"limit":1},"b":{"count":-1,"limit":1}}}'))).toEqual({ day: '2026-03-04', blocked: { a: { count: 1, limit: 1 } } })
  })
})
