import { describe, expect, it } from 'vitest'
import { createCoreServiceHandlers } from './core-services.js'
import { MemoryEventBus } from './event-bus.js'
import { InProcessEventRelay, type EventRouting } from './event-relay.js'
import { EventDirection, type Event } from './gen/plugboard/service/v1/service.js'
import { MemoryKvStore } from './kv-store.js'
import type { ServiceCaller } from './service-api.js'
import { publishSystemEvent } from './system-events.js'

const { EVENT_DIRECTION_LOCAL: LOCAL, EVENT_DIRECTION_UP: UP, EVENT_DIRECTION_DOWN: DOWN } = EventDirection

/** Collects what reaches `bus` on `pattern`; `take()` waits a turn so publishes in flight land first. */
function collect(bus: MemoryEventBus, pattern = '>') {
  const controller = new AbortController()
  const events: Event[] = []
  void (async () => {
    for await (const event of bus.subscribe(pattern, controller.signal)) events.push(event)
  })()
  return {
    async take() {
      await new Promise((resolve) => setImmediate(resolve))
      return events.map((event) => `${event.topic}<${event.source}`)
    },
    stop: () => controller.abort(),
  }
}

function deployment() {
  const studio = new MemoryEventBus()
  const gateways = [new MemoryEventBus(), new MemoryEventBus()]
  const relay = new InProcessEventRelay(studio)
  for (const bus of gateways) relay.linkGateway(bus)
  const handlers = (bus: MemoryEventBus, routing: EventRouting) => createCoreServiceHandlers({ kv: new MemoryKvStore(), events: bus, log: () => {}, routing })
  return {
    studio,
    gateways,
    studioApi: handlers(studio, { runtime: 'studio', relay, instanceId: 'studio' }),
    gatewayApi: handlers(gateways[0]!, { runtime: 'gateway', relay, instanceId: 'gw-0' }),
  }
}

const caller = (topics: ServiceCaller['topics']): ServiceCaller => ({ plugin: 'p', scopes: new Set(['events.publish', 'events.subscribe']), topics })
const everything = caller({ publish: ['>'], subscribe: ['>'] })
const publish = (topic: string, direction: EventDirection) => ({ topic, payload: Buffer.from('{}'), direction })
const signal = new AbortController().signal

describe('event directions through the in-process relay', () => {
  it('sends UP from a gateway to Studio only, DOWN from Studio to every gateway only, and keeps LOCAL in its runtime', async () => {
    const { studio, gateways, studioApi, gatewayApi } = deployment()
    const [onStudio, onGateway0, onGateway1] = [collect(studio), collect(gateways[0]!), collect(gateways[1]!)]
    await new Promise((resolve) => setImmediate(resolve))
    await gatewayApi.publish(publish('g.up', UP), everything, signal)
    await gatewayApi.publish(publish('g.local', LOCAL), everything, signal)
    await studioApi.publish(publish('s.down', DOWN), everything, signal)
    await studioApi.publish(publish('s.local', LOCAL), everything, signal)
    expect(await onStudio.take()).toEqual(['g.up<p', 's.local<p'])
    expect(await onGateway0.take()).toEqual(['g.local<p', 's.down<p'])
    expect(await onGateway1.take()).toEqual(['s.down<p'])
    for (const consumer of [onStudio, onGateway0, onGateway1]) consumer.stop()
  })

  it('refuses DOWN from a gateway and UP from Studio with SERVICE_INVALID_REQUEST, and UP or DOWN without a relay with SERVICE_UNAVAILABLE', async () => {
    const { studioApi, gatewayApi } = deployment()
    await expect(gatewayApi.publish(publish('t', DOWN), everything, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(studioApi.publish(publish('t', UP), everything, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(gatewayApi.publish(publish('t', 7 as EventDirection), everything, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    const alone = createCoreServiceHandlers({ kv: new MemoryKvStore(), events: new MemoryEventBus(), log: () => {}, routing: { runtime: 'gateway', instanceId: 'gw' } })
    await expect(alone.publish(publish('t', UP), everything, signal)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('not linked') })
    await expect(alone.publish(publish('t', LOCAL), everything, signal)).resolves.toEqual({})
  })

  it('stops sending DOWN to a gateway once it is unlinked', async () => {
    const studio = new MemoryEventBus()
    const gateway = new MemoryEventBus()
    const relay = new InProcessEventRelay(studio)
    const unlink = relay.linkGateway(gateway)
    const consumer = collect(gateway)
    await new Promise((resolve) => setImmediate(resolve))
    await relay.down({ topic: 'before', payload: Buffer.alloc(0), source: 'host', timestampMs: 0, direction: DOWN })
    unlink()
    await relay.down({ topic: 'after', payload: Buffer.alloc(0), source: 'host', timestampMs: 0, direction: DOWN })
    expect(await consumer.take()).toEqual(['before<host'])
    consumer.stop()
  })
})

describe('topic grants in the core handlers', () => {
  const { gatewayApi } = deployment()
  const granted = caller({ publish: ['usage.>'], subscribe: ['usage.*'] })

  it('refuses a publish outside the grant, and under system.> even when granted, with TOPIC_DENIED naming the topic', async () => {
    await expect(gatewayApi.publish(publish('usage.app', LOCAL), granted, signal)).resolves.toEqual({})
    await expect(gatewayApi.publish(publish('billing.app', LOCAL), granted, signal)).rejects.toMatchObject({ code: 'TOPIC_DENIED', message: expect.stringContaining('"billing.app"') })
    await expect(gatewayApi.publish(publish('system.objects.llm.created', LOCAL), everything, signal)).rejects.toMatchObject({ code: 'TOPIC_DENIED', message: expect.stringContaining('reserved') })
    await expect(gatewayApi.publish(publish('usage.*', LOCAL), granted, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(gatewayApi.publish(publish('usage.app', LOCAL), caller(undefined), signal)).rejects.toMatchObject({ code: 'TOPIC_DENIED' })
  })

  it('refuses a subscription to a pattern wider than the grant', () => {
    expect(() => gatewayApi.subscribe({ topic: 'usage.a' }, granted, signal)).not.toThrow()
    for (const wider of ['>', 'usage.>', 'usage.a.b', 'billing.*']) {
      expect(() => gatewayApi.subscribe({ topic: wider }, granted, signal)).toThrow(expect.objectContaining({ code: 'TOPIC_DENIED' }))
    }
  })

  it('ends an open subscription at its next event once the grant no longer covers it', async () => {
    const bus = new MemoryEventBus()
    const api = createCoreServiceHandlers({ kv: new MemoryKvStore(), events: bus, log: () => {} })
    const live: ServiceCaller = caller({ publish: [], subscribe: ['usage.>'] })
    const iterator = api.subscribe({ topic: 'usage.>' }, live, new AbortController().signal)[Symbol.asyncIterator]()
    const first = iterator.next()
    await new Promise((resolve) => setImmediate(resolve))
    const event = { topic: 'usage.a', payload: Buffer.alloc(0), source: 'x', timestampMs: 0, direction: LOCAL }
    await bus.publish(event)
    await expect(first).resolves.toMatchObject({ done: false })
    live.topics = { publish: [], subscribe: ['billing.>'] }
    const second = iterator.next()
    await bus.publish(event)
    await expect(second).rejects.toMatchObject({ code: 'TOPIC_DENIED' })
    expect(bus.subscriberCount).toBe(0)
  })
})

describe('edge payloads in the core handlers', () => {
  it('hands a gateway half\'s payload to the sink with the plugin and gateway id; refuses oversized, Studio-sent and unlinked ones', async () => {
    const received: unknown[] = []
    const api = (routing: EventRouting | undefined, sink = true) =>
      createCoreServiceHandlers({
        kv: new MemoryKvStore(),
        events: new MemoryEventBus(),
        log: () => {},
        routing,
        ...(sink && { edgePayloads: async (from, kind, payload) => void received.push({ from, kind, payload: payload.toString() }) }),
      })
    const gateway = api({ runtime: 'gateway', instanceId: 'gw-7' })
    await gateway.sendEdgePayload({ kind: 'usage', payload: Buffer.from('{"n":1}') }, everything, signal)
    expect(received).toEqual([{ from: { plugin: 'p', gatewayId: 'gw-7' }, kind: 'usage', payload: '{"n":1}' }])
    await expect(gateway.sendEdgePayload({ kind: 'usage', payload: Buffer.alloc(1024 * 1024 + 1) }, everything, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(gateway.sendEdgePayload({ kind: '', payload: Buffer.alloc(1) }, everything, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(api({ runtime: 'studio', instanceId: 's' }).sendEdgePayload({ kind: 'k', payload: Buffer.alloc(1) }, everything, signal)).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(api({ runtime: 'gateway', instanceId: 'g' }, false).sendEdgePayload({ kind: 'k', payload: Buffer.alloc(1) }, everything, signal)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    expect(received).toHaveLength(1)
  })
})

describe('publishSystemEvent', () => {
  it('publishes JSON from source "host", and only under system.>', async () => {
    const bus = new MemoryEventBus()
    const consumer = collect(bus, 'system.>')
    await new Promise((resolve) => setImmediate(resolve))
    await publishSystemEvent(bus, 'system.objects.llm.created', { id: 'x' })
    await expect(publishSystemEvent(bus, 'objects.llm.created', {})).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    expect(await consumer.take()).toEqual(['system.objects.llm.created<host'])
    consumer.stop()
  })
})
