import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Metadata, Server, ServerCredentials, credentials, type ClientReadableStream } from '@grpc/grpc-js'
import { MemoryEventBus, MemoryKvStore, PLUGIN_CHANNEL_OPTIONS, fromGrpcError, servicev1, type Scope, type ServiceApiHandlers } from '@plugboard/proto'
import { PluginHost, serviceApiImplementation, type ManagedPlugin, type PluginHostOptions } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest, waitFor } from './helpers.js'

let host: PluginHost | undefined
afterEach(async () => {
  await host?.shutdown()
  host = undefined
})

function startHost(options: Partial<PluginHostOptions> = {}): PluginHost {
  host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger, ...options })
  return host
}

/** Calls preAuth with `headers` and returns the metadata (or block body) the plugin answered with. */
async function ask(plugin: ManagedPlugin, headers: Record<string, string>, deadlineMs = 10_000): Promise<Record<string, string>> {
  const { result } = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest(headers) }, { deadlineMs })
  if (result?.$case === 'modify') return result.value.metadata
  if (result?.$case === 'block') return JSON.parse(result.value.body.toString()) as Record<string, string>
  return {}
}

const kvSet = (plugin: ManagedPlugin, key: string, value: string) => ask(plugin, { 'x-fault': 'kv-set', 'x-key': key, 'x-value': value })
const kvGet = async (plugin: ManagedPlugin, key: string) => (await ask(plugin, { 'x-fault': 'kv-get', 'x-key': key })).value
const caller = (plugin: string, scopes: Scope[], subscribe: string[] = []) => ({ plugin, scopes: new Set(scopes), topics: { publish: [], subscribe } })

describe('Service API KV bounds, through a real plugin', () => {
  it('refuses a value over the cap with KV_VALUE_TOO_LARGE and a full namespace with KV_QUOTA_EXCEEDED, as typed errors in plugin code', async () => {
    // Each entry here costs 2 (key) + 60 (value) + 128 (overhead) = 190 bytes: five fit in 1000.
    startHost({ kv: new MemoryKvStore({ maxValueBytes: 64, maxNamespaceBytes: 1000 }) })
    const plugin = await host!.load({ name: 'writer', source: fixture('faulty-plugin.mjs'), scopes: ['kv.readwrite'] })
    await expect(kvSet(plugin, 'k0', 'x'.repeat(65))).resolves.toMatchObject({ code: 'KV_VALUE_TOO_LARGE', grpcStatus: 3 /* INVALID_ARGUMENT */ })
    for (let i = 0; i < 5; i++) await expect(kvSet(plugin, `k${i}`, 'x'.repeat(60))).resolves.toEqual({})
    await expect(kvSet(plugin, 'k5', 'x'.repeat(60))).resolves.toMatchObject({
      code: 'KV_QUOTA_EXCEEDED',
      grpcStatus: 8 /* RESOURCE_EXHAUSTED */,
      message: expect.stringContaining('namespace "writer"'),
    })
    expect(await kvGet(plugin, 'k5')).toBe('')
    expect(await kvGet(plugin, 'k4')).toBe('x'.repeat(60))
  })
})

describe('Service API identity', () => {
  it('comes from the connection: two plugins on one host see their own KV, and events name their real publisher', async () => {
    const bus = new MemoryEventBus()
    startHost({ events: bus })
    const [a, b] = await Promise.all(
      ['plugin-a', 'plugin-b'].map((name) =>
        host!.load({
          name,
          source: fixture(name === 'plugin-a' ? 'faulty-plugin.mjs' : 'service-client.mjs'),
          scopes: ['kv.readwrite', 'events.publish'],
          ...(name === 'plugin-b' && { topics: { publish: ['audit.>'] } }),
        }),
      ),
    )
    await kvSet(a!, 'shared-name', 'from a')
    const asB = await host!.serviceApi.kvGet({ key: 'shared-name' }, caller('plugin-b', ['kv.readwrite']), new AbortController().signal)
    expect(asB.found).toBe(false)
    const asA = await host!.serviceApi.kvGet({ key: 'shared-name' }, caller('plugin-a', ['kv.readwrite']), new AbortController().signal)
    expect(asA.value.toString()).toBe('from a')

    const controller = new AbortController()
    const iterator = bus.subscribe('audit.>', controller.signal)[Symbol.asyncIterator]()
    const next = iterator.next()
    await expect(ask(b!, { 'x-action': 'publish', 'x-topic': 'audit.login', 'x-payload': '{"source":"plugin-a"}' })).resolves.toEqual({ outcome: 'ok' })
    await expect(next).resolves.toMatchObject({ value: { topic: 'audit.login', source: 'plugin-b' } })
    controller.abort()
  })
})

describe('Service API event subscriptions', () => {
  const topic = 'bulk.data'
  const publishMany = async (bus: MemoryEventBus, count: number, payloadBytes: number) => {
    for (let i = 0; i < count; i++) await bus.publish({ topic, payload: Buffer.alloc(payloadBytes, i % 256), source: 'test', timestampMs: Date.now(), direction: 0 })
  }

  async function subscribedClient(bus: MemoryEventBus): Promise<ManagedPlugin> {
    startHost({ events: bus })
    const plugin = await host!.load({ name: 'subscriber', source: fixture('service-client.mjs'), scopes: ['events.subscribe'], topics: { subscribe: ['bulk.>'] } })
    await ask(plugin, { 'x-action': 'subscribe', 'x-topic': topic })
    await waitFor(() => bus.subscriberCount === 1, 10_000, 'the subscription')
    return plugin
  }

  it('are removed from the bus when a client that stopped reading cancels while the host waits for it to drain', async () => {
    const bus = new MemoryEventBus({ maxBufferedBytes: 256 * 1024 * 1024 })
    const plugin = await subscribedClient(bus)
    // 32 MiB: far more than HTTP/2 flow control and the client's buffers take, so the host's writes back up.
    await publishMany(bus, 128, 256 * 1024)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(bus.subscriberCount).toBe(1)
    await ask(plugin, { 'x-action': 'cancel' })
    await waitFor(() => bus.subscriberCount === 0, 10_000, 'the bus to lose its subscriber')
  })

  it('end with EVENT_SUBSCRIPTION_OVERFLOW for a subscriber that falls too far behind, which the plugin sees as a typed error', async () => {
    const bus = new MemoryEventBus({ maxBufferedEvents: 20 })
    const plugin = await subscribedClient(bus)
    await publishMany(bus, 200, 256 * 1024)
    await waitFor(() => bus.subscriberCount === 0, 10_000, 'the overflowing subscription to end')
    const { outcome, read } = await ask(plugin, { 'x-action': 'read-on' })
    expect(outcome).toBe('EVENT_SUBSCRIPTION_OVERFLOW')
    expect(Number(read)).toBeGreaterThan(0)
    expect(Number(read)).toBeLessThan(200)
  })
})

describe('Service API calls in flight', () => {
  it('are capped per plugin connection: calls over the cap fail at once with SERVICE_TOO_MANY_CALLS', async () => {
    let running = 0
    let mostRunning = 0
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const getPluginInfo: ServiceApiHandlers['getPluginInfo'] = async () => {
      mostRunning = Math.max(mostRunning, ++running)
      await gate
      running--
      return { json: Buffer.from('{}') }
    }
    startHost({ services: { getPluginInfo } })
    const plugin = await host!.load({ name: 'bursty', source: fixture('service-client.mjs'), scopes: ['plugins.read'] })
    const answer = ask(plugin, { 'x-action': 'info-burst', 'x-calls': '200' }, 20_000)
    await waitFor(() => running === 128, 10_000, '128 calls in flight')
    await new Promise((resolve) => setTimeout(resolve, 300))
    open()
    const counts = JSON.parse((await answer).counts!) as Record<string, number>
    expect(mostRunning).toBe(128)
    expect(counts.SERVICE_TOO_MANY_CALLS).toBeGreaterThan(0)
    expect((counts.ok ?? 0) + counts.SERVICE_TOO_MANY_CALLS!).toBe(200)
  })
})

describe("A unary Service API call's signal", () => {
  it('aborts when the client cancels the call while it runs, and never once the call was answered', async () => {
    const signals: AbortSignal[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const handlers = {
      ...startHost().serviceApi,
      getPluginInfo: async (_request: unknown, _caller: unknown, signal: AbortSignal) => {
        signals.push(signal)
        if (signals.length === 1) await held
        return { json: Buffer.from('{}') }
      },
    } as ServiceApiHandlers
    const server = new Server(PLUGIN_CHANNEL_OPTIONS)
    server.addService(servicev1.ServiceApiService, serviceApiImplementation(handlers, caller('p', ['plugins.read']), capturingLogger().logger))
    const dir = mkdtempSync(join(tmpdir(), 'pb-signal-'))
    const address = `unix:${join(dir, 's.sock')}`
    await new Promise<void>((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())))
    const client = new servicev1.ServiceApiClient(address, credentials.createInsecure(), PLUGIN_CHANNEL_OPTIONS)
    try {
      const cancelled = client.getPluginInfo({}, () => undefined)
      await waitFor(() => signals.length === 1, 5_000, 'the first call to run')
      cancelled.cancel()
      await waitFor(() => signals[0]!.aborted, 5_000, 'the cancelled call to be aborted')
      release()
      await new Promise((resolve, reject) => client.getPluginInfo({}, (error, response) => (error ? reject(error) : resolve(response))))
      // grpc-js reports an answered call as cancelled too: its handler's signal must not abort then.
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(signals[1]!.aborted).toBe(false)
    } finally {
      client.close()
      server.forceShutdown()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('Service API subscriptions per connection', () => {
  it('are capped: the subscription over the cap fails with SERVICE_TOO_MANY_CALLS, and a cancelled one frees its slot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-svc-'))
    const bus = new MemoryEventBus()
    startHost({ events: bus })
    const server = new Server(PLUGIN_CHANNEL_OPTIONS)
    const implementation = serviceApiImplementation(host!.serviceApi, caller('watcher', ['events.subscribe'], ['t']), capturingLogger().logger, { maxSubscriptions: 3 })
    server.addService(servicev1.ServiceApiService, implementation)
    const target = `unix:${join(dir, 'service.sock')}`
    await new Promise<number>((resolve, reject) => server.bindAsync(target, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))))
    const client = new servicev1.ServiceApiClient(target, credentials.createInsecure(), PLUGIN_CHANNEL_OPTIONS)
    const subscribe = () => client.subscribe({ topic: 't' }, new Metadata())
    const failure = (stream: ClientReadableStream<servicev1.Event>) =>
      new Promise((resolve) => stream.on('error', (error) => resolve(fromGrpcError(error, 'SUBSCRIBE_FAILED').code)).on('data', () => undefined))
    try {
      const open = [subscribe(), subscribe(), subscribe()]
      for (const stream of open) stream.on('error', () => undefined).on('data', () => undefined)
      await waitFor(() => bus.subscriberCount === 3, 10_000, 'three subscriptions')
      await expect(failure(subscribe())).resolves.toBe('SERVICE_TOO_MANY_CALLS')
      open[0]!.cancel()
      await waitFor(() => bus.subscriberCount === 2, 10_000, 'the cancelled subscription to end')
      const again = subscribe()
      again.on('error', () => undefined).on('data', () => undefined)
      await waitFor(() => bus.subscriberCount === 3, 10_000, 'a subscription in the freed slot')
      for (const stream of [...open, again]) stream.cancel()
    } finally {
      client.close()
      server.forceShutdown()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('Service API rate limit', () => {
  it('refuses a flooding plugin at once with SERVICE_RATE_LIMITED while another plugin on the host is unaffected', async () => {
    startHost({ services: { getPluginInfo: async () => ({ json: Buffer.from('{}') }) } })
    const [flooder, neighbour] = await Promise.all([
      host!.load({ name: 'flooder', source: fixture('service-client.mjs'), scopes: ['plugins.read'], serviceApiRateLimit: { callsPerSecond: 10, burst: 20 } }),
      host!.load({ name: 'neighbour', source: fixture('service-client.mjs'), scopes: ['plugins.read'] }),
    ])
    const started = Date.now()
    const [flood, calm] = await Promise.all([
      ask(flooder, { 'x-action': 'info-burst', 'x-calls': '120' }, 20_000),
      ask(neighbour, { 'x-action': 'info-burst', 'x-calls': '100' }, 20_000),
    ])
    const elapsedS = (Date.now() - started) / 1000
    const flooded = JSON.parse(flood.counts!) as Record<string, number>
    // The burst, plus what refilled meanwhile; the rest refused, not queued (so the burst returns quickly).
    expect(flooded.ok).toBeGreaterThanOrEqual(20)
    expect(flooded.ok).toBeLessThanOrEqual(20 + Math.ceil(elapsedS * 10) + 1)
    expect(flooded.SERVICE_RATE_LIMITED).toBe(120 - flooded.ok!)
    expect(JSON.parse(calm.counts!)).toEqual({ ok: 100 })
    const later = JSON.parse((await ask(flooder, { 'x-action': 'info-burst', 'x-calls': '1' })).counts!) as Record<string, number>
    expect(later.ok ?? 0).toBeLessThanOrEqual(1)
  })
})
