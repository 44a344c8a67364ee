import { describe, expect, it } from 'vitest'
import {
  BasePlugin,
  PlugboardError,
  block,
  modify,
  pass,
  type EdgePayload,
  type HookContext,
  type PluginContext,
  type PostAuthRequest,
  type PreAuthRequest,
  type ScheduledTask,
  type PortalRpcRequest,
  type UiRpcRequest,
} from '../index.js'
import { createTestHost } from './index.js'

class Sample extends BasePlugin {
  readonly manifest = { id: 'sample', name: 'Sample', version: '1.0.0' }
  config: unknown
  override initialize(ctx: PluginContext) {
    this.config = ctx.config
  }
  async preAuth({ request }: PreAuthRequest, ctx: HookContext) {
    if (request.headers['x-block']) return block({ status: 418, body: { error: { code: 'TEAPOT' } } })
    if (request.headers['x-bad']) return { action: 'explode' } as never
    if (request.headers['x-store']) {
      await ctx.services.kv.set('last', { ip: request.clientIp }, { ttlMs: 1000 })
      await ctx.services.events.publish('sample.seen', { ip: request.clientIp })
    }
    return pass()
  }
  postAuth({ context }: PostAuthRequest) {
    return modify({ setHeaders: { 'X-App': context.app?.name ?? '' }, body: { rewritten: true }, metadata: { seen: 'yes' } })
  }
  onResponseChunk({ data }: { data: Buffer }) {
    return { action: 'replace' as const, data: data.toString().replace('secret', '******') }
  }
}

describe('createTestHost', () => {
  it('initializes the plugin with config and runtime, and reports what it implements', async () => {
    const plugin = new Sample()
    const host = await createTestHost(plugin, { runtime: 'studio', config: { level: 3 } })
    expect(plugin.config).toEqual({ level: 3 })
    expect(host.context.runtime).toBe('studio')
    expect(host.describe().capabilities).toEqual([1, 3, 4, 13, 19])
    expect(host.manifest()).toMatchObject({ id: 'sample', capabilities: ['pre_auth', 'post_auth', 'response', 'manifest_provider', 'response_chunks'] })
  })

  it('returns results as the host receives them, JSON bodies with their content type', async () => {
    const host = await createTestHost(new Sample())
    expect(await host.preAuth()).toEqual({ action: 'pass' })
    const blocked = await host.preAuth({ request: { headers: { 'X-Block': '1' } } })
    expect(blocked).toMatchObject({ action: 'block', status: 418, headers: { 'content-type': 'application/json' } })
    expect(blocked.action === 'block' && blocked.json()).toEqual({ error: { code: 'TEAPOT' } })
    const modified = await host.postAuth({ context: { app: { id: 'a', name: 'demo', allowedLlms: [], monthlyBudget: 0, metadata: {} } } })
    expect(modified).toMatchObject({ action: 'modify', setHeaders: { 'x-app': 'demo', 'content-type': 'application/json' }, metadata: { seen: 'yes' } })
    expect(modified.action === 'modify' && JSON.parse(modified.body!.toString())).toEqual({ rewritten: true })
  })

  it('rejects a hook result that is not pass, modify or block with HOOK_INVALID_RESULT', async () => {
    const host = await createTestHost(new Sample())
    await expect(host.preAuth({ request: { headers: { 'x-bad': '1' } } })).rejects.toMatchObject({ code: 'HOOK_INVALID_RESULT' })
  })

  it('enforces Service API scopes like the host does', async () => {
    const denied = await createTestHost(new Sample(), { scopes: [] })
    await expect(denied.preAuth({ request: { headers: { 'x-store': '1' } } })).rejects.toMatchObject({ code: 'SCOPE_DENIED' })
    expect(await denied.kv.get('last')).toBeUndefined()

    const granted = await createTestHost(new Sample(), { scopes: ['kv.readwrite', 'events.publish'], topics: { publish: ['sample.>'] } })
    const subscription = new AbortController()
    const events = granted.events.subscribe('sample.>', subscription.signal)[Symbol.asyncIterator]()
    const next = events.next()
    await granted.preAuth({ request: { headers: { 'x-store': '1' }, clientIp: '10.0.0.7' } })
    expect(JSON.parse((await granted.kv.get('last'))!.toString())).toEqual({ ip: '10.0.0.7' })
    expect((await next).value).toMatchObject({ topic: 'sample.seen', source: 'sample' })
    subscription.abort()
  })

  it('limits events to the granted topics and routes them by direction, as the host does', async () => {
    const gateway = await createTestHost(new Sample(), { scopes: ['events.publish', 'events.subscribe'], topics: { publish: ['usage.>'], subscribe: ['usage.*'] } })
    const { events, edge } = gateway.context.services
    await events.publish('usage.demo', { n: 1 }, { direction: 'up' })
    expect(gateway.relayed).toMatchObject([{ topic: 'usage.demo', source: 'sample', direction: 1 }])
    await expect(events.publish('usage.demo', {}, { direction: 'down' })).rejects.toMatchObject({ code: 'SERVICE_INVALID_REQUEST' })
    await expect(events.publish('billing.demo', {})).rejects.toMatchObject({ code: 'TOPIC_DENIED' })
    await expect(events.publish('system.objects.llm.created', {})).rejects.toMatchObject({ code: 'TOPIC_DENIED' })
    const wider = events.subscribe('usage.>', { signal: new AbortController().signal })[Symbol.asyncIterator]()
    await expect(wider.next()).rejects.toMatchObject({ code: 'TOPIC_DENIED' })

    const subscription = new AbortController()
    const received = events.subscribe('usage.*', { signal: subscription.signal })[Symbol.asyncIterator]()
    const next = received.next()
    await new Promise((resolve) => setImmediate(resolve))
    await events.publish('usage.local', { n: 2 })
    await expect(next).resolves.toMatchObject({ value: { topic: 'usage.local', direction: 'local' } })
    subscription.abort()

    await edge.send('usage', { n: 3 })
    expect(gateway.edgePayloads.map(({ kind, payload }) => [kind, payload.toString()])).toEqual([['usage', '{"n":3}']])
  })

  it('answers control-plane services with SERVICE_UNAVAILABLE unless faked', async () => {
    const host = await createTestHost(new Sample(), { scopes: ['llms.read'] })
    await expect(host.context.services.llms.list()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    const faked = await createTestHost(new Sample(), {
      scopes: ['llms.read'],
      services: { listLlms: async () => ({ items: [{ id: 'mock', json: Buffer.from('{"slug":"mock"}') }], nextCursor: '' }) },
    })
    await expect(faked.context.services.llms.list()).resolves.toEqual({ items: [{ slug: 'mock' }], nextCursor: '' })
  })

  it('runs chunks through the response hook in order and flushes at the end', async () => {
    const host = await createTestHost(new Sample())
    const sent = await host.responseStream(['data: my secret\n\n', 'data: [DONE]\n\n'])
    expect(sent.map(String)).toEqual(['data: my ******\n\n', 'data: [DONE]\n\n'])
  })

  it('counts atomically with kv.increment, refusing a key that holds no counter', async () => {
    const host = await createTestHost(new Sample(), { scopes: ['kv.readwrite'] })
    const kv = host.context.services.kv
    expect(await Promise.all([kv.increment('hits'), kv.increment('hits'), kv.increment('hits', 5)])).toHaveLength(3)
    expect(await kv.increment('hits', -1)).toBe(6)
    expect((await kv.get('hits'))?.toString()).toBe('6')
    await kv.set('doc', { a: 1 })
    await expect(kv.increment('doc')).rejects.toMatchObject({ code: 'KV_NOT_A_COUNTER' })
    await expect((await createTestHost(new Sample())).context.services.kv.increment('hits')).rejects.toMatchObject({ code: 'SCOPE_DENIED' })
  })

  it('drives admin RPC, scheduled tasks, edge payloads and the session as Studio does', async () => {
    const plugin = new StudioSide()
    const host = await createTestHost(plugin, { runtime: 'studio' })
    await host.sessionReady()
    expect(plugin.seen).toEqual(['ready'])
    expect(await host.uiRpc('echo', { n: 1 }, { id: 'u1', email: 'admin@example.com', name: 'Admin', roles: ['admin'] })).toEqual({ result: { n: 1, by: 'admin@example.com' } })
    expect(await host.uiRpc('nope')).toEqual({ error: { code: 'UNKNOWN_METHOD', message: 'no method nope' } })
    const portalUser = { id: 'u2', email: 'user@example.com', name: 'User', roles: ['portal'] }
    expect(await host.portalRpc('send', { n: 1 }, { user: portalUser, groups: ['Support'] })).toEqual({ result: { method: 'send', by: 'user@example.com', groups: ['Support'] } })
    expect(await host.scheduledTask({ scheduleId: 'tick', runId: 'run-7', config: { every: 1 } })).toEqual({ ran: 'tick', runId: 'run-7', config: { every: 1 } })
    await host.edgePayload('counts', '{"a":1}')
    expect(plugin.seen).toEqual(['ready', 'counts from test-gateway: {"a":1}'])
    await host.close()
    expect(plugin.seen.at(-1)).toBe('closing')
  })
})

class StudioSide extends BasePlugin {
  readonly manifest = { id: 'studio-side', name: 'Studio side', version: '1.0.0' }
  readonly seen: string[] = []
  handleUiRpc({ method, payload, user }: UiRpcRequest) {
    if (method !== 'echo') throw new PlugboardError('UNKNOWN_METHOD', `no method ${method}`)
    return { ...(payload as object), by: user?.email ?? '' }
  }
  handlePortalRpc({ method, user, groups }: PortalRpcRequest) {
    return { method, by: user?.email ?? '', groups }
  }
  serveAsset() {
    return undefined
  }
  runScheduledTask({ scheduleId, runId, config }: ScheduledTask) {
    return { ran: scheduleId, runId, config }
  }
  receiveEdgePayload({ gatewayId, kind, payload }: EdgePayload) {
    this.seen.push(`${kind} from ${gatewayId}: ${payload.toString()}`)
  }
  onSessionReady() {
    this.seen.push('ready')
  }
  onSessionClosing() {
    this.seen.push('closing')
  }
}
