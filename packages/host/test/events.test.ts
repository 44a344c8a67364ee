import { afterEach, describe, expect, it } from 'vitest'
import { InProcessEventRelay, MemoryEventBus, MemoryKvStore } from '@plugboard/proto'
import { EdgePayloadDeliverer, PluginHost, type ManagedPlugin, type PluginHostOptions, type PluginSpec } from '@plugboard/host'
import { capturingLogger, fixture, waitFor } from './helpers.js'

const hosts: PluginHost[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.shutdown()))
})

const ALL_SCOPES: PluginSpec['scopes'] = ['kv.readwrite', 'events.publish', 'events.subscribe']
const spec = (extra: Partial<PluginSpec> = {}): PluginSpec => ({ name: 'events', source: fixture('events-plugin.mjs'), scopes: ALL_SCOPES, ...extra })

function newHost(runtime: 'gateway' | 'studio', options: Partial<PluginHostOptions> & { events?: MemoryEventBus } = {}) {
  const bus = options.events ?? new MemoryEventBus()
  const kv = new MemoryKvStore()
  const { logger, lines } = capturingLogger()
  const host = new PluginHost({ runtime, logger, kv, ...options, events: bus })
  hosts.push(host)
  return { host, bus, kv, lines }
}

async function rpc<T = Record<string, unknown>>(plugin: ManagedPlugin, method: string, payload: unknown = {}): Promise<T> {
  const response = await plugin.rpc('handleUiRpc', { method, payloadJson: Buffer.from(JSON.stringify(payload)), groups: [] }, { deadlineMs: 10_000 })
  if (response.error) throw new Error(response.error.message)
  return JSON.parse(response.resultJson.toString()) as T
}

interface FixtureState {
  received: Array<{ pattern: string; topic: string; source: string; direction: string; body: unknown }>
  subscriptionErrors: Array<{ pattern: string; code: string }>
  edgePayloads: Array<{ gatewayId: string; kind: string; body: unknown }>
}
const state = (plugin: ManagedPlugin) => rpc<FixtureState>(plugin, 'state')
const publish = async (plugin: ManagedPlugin, topic: string, direction?: 'local' | 'up' | 'down') =>
  (await rpc<{ outcome: string }>(plugin, 'publish', { topic, direction, body: { topic } })).outcome

/** Opens a subscription in the plugin and waits until the bus holds it. */
async function subscribe(plugin: ManagedPlugin, bus: MemoryEventBus, pattern: string): Promise<void> {
  const before = bus.subscriberCount
  await rpc(plugin, 'subscribe', { pattern })
  await waitFor(() => bus.subscriberCount > before, 5000, `subscription to ${pattern}`)
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5000
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('topic grants', () => {
  it('must be covered by the manifest: a wider or malformed pattern is refused at load and by setTopics, which keeps the old grant', async () => {
    const { host } = newHost('gateway')
    for (const topics of [{ publish: ['>'] }, { subscribe: ['billing.>'] }, { publish: ['usage.>.x'] }]) {
      await expect(host.load(spec({ topics }))).rejects.toMatchObject({ code: 'PLUGIN_TOPICS_INVALID' })
    }
    expect(host.list()).toEqual([])
    const plugin = await host.load(spec({ topics: { publish: ['usage.app.*'] } }))
    expect(() => plugin.setTopics({ subscribe: ['>'] })).toThrow(expect.objectContaining({ code: 'PLUGIN_TOPICS_INVALID', message: expect.stringContaining('usage.>, system.>') }))
    expect(plugin.spec.topics).toEqual({ publish: ['usage.app.*'] })
    expect(await publish(plugin, 'usage.app.demo')).toBe('ok')
  })

  it('refuses a publish outside the grant, and under system.> even when granted, with TOPIC_DENIED; a live setTopics applies to the next call', async () => {
    const { host, bus } = newHost('gateway')
    const plugin = await host.load(spec({ topics: { publish: ['usage.app.>', 'system.>'] } }))
    const seen: string[] = []
    const controller = new AbortController()
    void (async () => {
      for await (const event of bus.subscribe('>', controller.signal)) seen.push(event.topic)
    })()
    expect(await publish(plugin, 'usage.app.demo')).toBe('ok')
    expect(await publish(plugin, 'usage.llm.demo')).toBe('TOPIC_DENIED')
    expect(await publish(plugin, 'system.objects.llm.created')).toBe('TOPIC_DENIED')
    plugin.setTopics({ publish: ['usage.llm.>'] })
    expect(await publish(plugin, 'usage.app.demo')).toBe('TOPIC_DENIED')
    expect(await publish(plugin, 'usage.llm.demo')).toBe('ok')
    plugin.setScopes(['kv.readwrite'])
    expect(await publish(plugin, 'usage.llm.demo')).toBe('SCOPE_DENIED')
    controller.abort()
    expect(seen).toEqual(['usage.app.demo', 'usage.llm.demo'])
  })

  it('refuses a subscription wider than the grant, and the refused subscriber gets nothing while a granted one gets its events', async () => {
    const { host, bus } = newHost('gateway')
    const plugin = await host.load(spec({ topics: { subscribe: ['usage.app.*'] } }))
    for (const pattern of ['>', 'usage.>', 'usage.app.>', 'usage.llm.*']) await rpc(plugin, 'subscribe', { pattern })
    await subscribe(plugin, bus, 'usage.app.*')
    for (const topic of ['usage.app.demo', 'usage.llm.demo', 'billing.x']) {
      await bus.publish({ topic, payload: Buffer.from('{}'), source: 'test', timestampMs: Date.now(), direction: 0 })
    }
    const observed = await eventually(() => state(plugin), ({ received, subscriptionErrors }) => received.length > 0 && subscriptionErrors.length === 4, 'fixture state')
    // One more round trip: nothing else arrives late.
    await state(plugin)
    expect(bus.subscriberCount).toBe(1)
    expect(observed.subscriptionErrors.map(({ pattern, code }) => `${pattern}:${code}`).sort()).toEqual(
      ['>:TOPIC_DENIED', 'usage.>:TOPIC_DENIED', 'usage.app.>:TOPIC_DENIED', 'usage.llm.*:TOPIC_DENIED'].sort(),
    )
    expect((await state(plugin)).received.map((event) => `${event.pattern}:${event.topic}`)).toEqual(['usage.app.*:usage.app.demo'])
  })
})

/** One Studio host and one gateway host linked by an in-process relay, each running the fixture. */
async function linkedRuntimes() {
  const [studioBus, gatewayBus] = [new MemoryEventBus(), new MemoryEventBus()]
  const relay = new InProcessEventRelay(studioBus)
  relay.linkGateway(gatewayBus)
  const deliverer = new EdgePayloadDeliverer({ logger: capturingLogger().logger, deadlineMs: 5000 })
  const studio = newHost('studio', { events: studioBus, relay })
  const gateway = newHost('gateway', {
    events: gatewayBus,
    relay,
    instanceId: 'gw-1',
    edgePayloads: async (from, kind, payload) => void deliverer.deliver(studio.host.get(from.plugin)!, { gatewayId: from.gatewayId, kind, payload }),
  })
  const topics = { publish: ['usage.>'], subscribe: ['usage.>'] }
  const [studioHalf, gatewayHalf] = await Promise.all([studio.host.load(spec({ topics })), gateway.host.load(spec({ topics }))])
  return { studioHalf: studioHalf!, gatewayHalf: gatewayHalf!, studioBus, gatewayBus, deliverer }
}


describe('event directions between a gateway and Studio', () => {
  it('carries UP from the gateway half to the Studio half and DOWN the other way; LOCAL stays in its runtime; the wrong direction is refused', async () => {
    const { studioHalf, gatewayHalf, studioBus, gatewayBus } = await linkedRuntimes()
    await subscribe(studioHalf, studioBus, 'usage.>')
    await subscribe(gatewayHalf, gatewayBus, 'usage.>')
    expect(await publish(gatewayHalf, 'usage.gateway.up', 'up')).toBe('ok')
    expect(await publish(gatewayHalf, 'usage.gateway.local', 'local')).toBe('ok')
    expect(await publish(studioHalf, 'usage.studio.down', 'down')).toBe('ok')
    expect(await publish(studioHalf, 'usage.studio.local')).toBe('ok')
    expect(await publish(gatewayHalf, 'usage.gateway.down', 'down')).toBe('SERVICE_INVALID_REQUEST')
    expect(await publish(studioHalf, 'usage.studio.up', 'up')).toBe('SERVICE_INVALID_REQUEST')
    const byRuntime = async () => ({
      studio: (await state(studioHalf)).received.map((event) => `${event.topic}:${event.direction}`),
      gateway: (await state(gatewayHalf)).received.map((event) => `${event.topic}:${event.direction}`),
    })
    const seen = await eventually(byRuntime, ({ studio, gateway }) => studio.length >= 2 && gateway.length >= 2, 'events in both runtimes')
    // One more round trip: nothing else arrives late.
    await publish(studioHalf, 'usage.studio.local')
    expect(seen.studio.sort()).toEqual(['usage.gateway.up:up', 'usage.studio.local:local'])
    expect(seen.gateway.sort()).toEqual(['usage.gateway.local:local', 'usage.studio.down:down'])
    expect((await byRuntime()).gateway).toHaveLength(2)
  })

  it('delivers an edge payload from the gateway process to the Studio process of the same plugin, and refuses one over 1 MiB', async () => {
    const { studioHalf, gatewayHalf, deliverer } = await linkedRuntimes()
    expect((await rpc<{ outcome: string }>(gatewayHalf, 'send-edge', { kind: 'usage', body: { app: 'demo', count: 3 } })).outcome).toBe('ok')
    expect((await rpc<{ outcome: string }>(gatewayHalf, 'send-edge', { kind: 'usage', body: 'x'.repeat(1024 * 1024 + 1) })).outcome).toBe('SERVICE_INVALID_REQUEST')
    expect((await rpc<{ outcome: string }>(studioHalf, 'send-edge', { kind: 'usage', body: {} })).outcome).toBe('SERVICE_INVALID_REQUEST')
    const { edgePayloads } = await eventually(() => state(studioHalf), ({ edgePayloads }) => edgePayloads.length > 0, 'edge payload')
    expect(edgePayloads).toEqual([{ gatewayId: 'gw-1', kind: 'usage', body: { app: 'demo', count: 3 } }])
    expect(deliverer.stats('events')).toEqual({ delivered: 1, dropped: 0, failed: 0, queued: 0 })
  })

  it('bounds each plugin\'s edge payload queue (drops and counts what does not fit), times out a Studio half that hangs, and refuses a plugin that receives none', async () => {
    const { host } = newHost('studio')
    const [receiver, other] = await Promise.all([host.load(spec()), host.load({ name: 'not-a-receiver', source: fixture('service-client.mjs') })])
    const deliverer = new EdgePayloadDeliverer({ logger: capturingLogger().logger, deadlineMs: 300, maxQueued: 2 })
    const hanging = { gatewayId: 'gw', kind: 'hang', payload: Buffer.from('{}') }
    expect([1, 2, 3, 4].map(() => deliverer.deliver(receiver!, hanging))).toEqual([true, true, false, false])
    expect(deliverer.stats('events')).toMatchObject({ dropped: 2, queued: 2 })
    await waitFor(() => deliverer.stats('events').failed === 2, 5000, 'both deliveries to time out')
    expect(deliverer.stats('events')).toEqual({ delivered: 0, dropped: 2, failed: 2, queued: 0 })
    expect(() => deliverer.deliver(other!, hanging)).toThrow(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('edge_payload_receiver') }))
    deliverer.close()
    expect(() => deliverer.deliver(receiver!, hanging)).toThrow(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }))
  })

  it('answers SendEdgePayload with SERVICE_UNAVAILABLE on a gateway with no edgePayloads option', async () => {
    const { host } = newHost('gateway')
    const plugin = await host.load(spec())
    expect((await rpc<{ outcome: string }>(plugin, 'send-edge', { kind: 'usage', body: {} })).outcome).toBe('SERVICE_UNAVAILABLE')
  })
})

describe('session hooks', () => {
  it.each(['gateway', 'studio'] as const)('in the %s runtime: onSessionReady once per process after Initialize, onSessionClosing before each shutdown', async (runtime) => {
    const { host, kv } = newHost(runtime)
    const plugin = await host.load(spec())
    const first = plugin.pid!
    expect((await kv.get('events', `ready:${first}`))?.toString()).toBe(runtime)
    expect(await kv.get('events', `closing:${first}`)).toBeUndefined()
    await plugin.restart()
    const second = plugin.pid!
    expect(second).not.toBe(first)
    expect((await kv.get('events', `ready:${second}`))?.toString()).toBe(runtime)
    expect((await kv.get('events', `closing:${first}`))?.toString()).toBe(runtime)
    await host.shutdown()
    expect((await kv.get('events', `closing:${second}`))?.toString()).toBe(runtime)
    expect((await kv.list('events', 'ready:', 10)).map(({ key }) => key).sort()).toEqual([`ready:${first}`, `ready:${second}`].sort())
  })

  it('never hold up a start or a stop beyond their deadline: a hanging hook is logged and the plugin serves', async () => {
    const { host, lines } = newHost('studio')
    const started = Date.now()
    const plugin = await host.load(spec({ env: { EVENTS_FIXTURE_SESSION_HANG: '1' }, sessionHookTimeoutMs: 300, topics: { publish: ['usage.>'] } }))
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await publish(plugin, 'usage.after-hang')).toBe('ok')
    const stopping = Date.now()
    await host.shutdown()
    expect(Date.now() - stopping).toBeLessThan(5000)
    expect(lines.filter((line) => line.msg === 'plugin session hook failed').map((line) => line.method)).toEqual(['onSessionReady', 'onSessionClosing'])
  })
})
