import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CircuitBreaker, HookChain, PluginHost, type HookObserver, type ManagedPlugin } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest, requestContext } from './helpers.js'

let host: PluginHost
const plugins: Record<string, ManagedPlugin> = {}

beforeAll(async () => {
  host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
  const load = async (name: string, config: Record<string, unknown>) => {
    plugins[name] = await host.load({ name, source: fixture('faulty-plugin.mjs'), config: { name, ...config } })
  }
  await Promise.all([load('a', { chunkMode: 'upper' }), load('b', { chunkMode: 'hold', status: 201 }), load('c', {}), load('d', { chunkMode: 'index' })])
})
afterAll(() => host.shutdown())

function recorder() {
  const calls: Array<{ plugin: string; outcome: string }> = []
  const observer: HookObserver = { hookCalled: ({ plugin, outcome }) => void calls.push({ plugin, outcome }) }
  return { calls, observer }
}

describe('request chains', () => {
  it('runs plugins in priority order, each seeing the previous one\'s modification', async () => {
    const chain = new HookChain([
      { plugin: plugins.c!, priority: 30 },
      { plugin: plugins.a!, priority: 10 },
      { plugin: plugins.b!, priority: 20 },
    ])
    expect(chain.plugins).toEqual(['a', 'b', 'c'])
    const outcome = await chain.runPreAuth('r1', httpRequest({ 'x-order': 'start,' }))
    expect(outcome).toMatchObject({ kind: 'continue', request: { headers: { 'x-order': 'start,a,b,c,' } } })
  })

  it('passes chain metadata along post-auth hooks', async () => {
    const chain = new HookChain([{ plugin: plugins.b! }, { plugin: plugins.a! }])
    const outcome = await chain.runPostAuth(httpRequest(), requestContext({ order: 'gateway,' }))
    expect(outcome).toMatchObject({ kind: 'continue', metadata: { order: 'gateway,b,a,' } })
  })

  it('stops at the first block: later plugins are not called', async () => {
    const { calls, observer } = recorder()
    const chain = new HookChain([{ plugin: plugins.a! }, { plugin: plugins.b! }, { plugin: plugins.c! }], observer)
    const outcome = await chain.runPreAuth('r2', httpRequest({ 'x-fault': 'block' }))
    expect(outcome).toMatchObject({ kind: 'block', plugin: 'a', status: 429 })
    expect(outcome.kind === 'block' && JSON.parse(outcome.body.toString())).toEqual({ error: { code: 'BLOCKED_BY', message: 'a' } })
    expect(calls.map((c) => c.plugin)).toEqual(['a'])
  })

  it('opens the circuit breaker after repeated failures and skips the plugin until the cool-down ends', async () => {
    const { calls, observer } = recorder()
    const chain = new HookChain([{ plugin: plugins.a!, breaker: { failureThreshold: 3, cooldownMs: 300 } }], observer)
    for (let i = 0; i < 5; i++) await chain.runPreAuth(`r${i}`, httpRequest({ 'x-fault': 'throw' }))
    expect(calls.filter((c) => c.plugin === 'a').map((c) => c.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'circuit_open', 'circuit_open'])
    expect(chain.breakerStates()).toEqual({ a: 'open' })
    await new Promise((resolve) => setTimeout(resolve, 350))
    const outcome = await chain.runPreAuth('r-after', httpRequest({ 'x-order': '' }))
    expect(outcome).toMatchObject({ kind: 'continue', request: { headers: { 'x-order': 'a,' } } })
    expect(chain.breakerStates().a).toBe('closed')
  })

  it('does not wedge the breaker when its half-open trial is cancelled: the next call is the trial', async () => {
    const { calls, observer } = recorder()
    const chain = new HookChain([{ plugin: plugins.a!, breaker: { failureThreshold: 1, cooldownMs: 100 } }], observer)
    await chain.runPreAuth('r-fail', httpRequest({ 'x-fault': 'throw' }))
    expect(chain.breakerStates().a).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 150))
    const cancelled = chain.runPreAuth('r-trial', httpRequest({ 'x-fault': 'hang' }), AbortSignal.timeout(50))
    await expect(cancelled).rejects.toMatchObject({ code: 'HOOK_CANCELLED' })
    const outcome = await chain.runPreAuth('r-next', httpRequest({ 'x-order': '' }))
    expect(outcome).toMatchObject({ kind: 'continue', request: { headers: { 'x-order': 'a,' } } })
    expect(chain.breakerStates().a).toBe('closed')
    expect(calls.map((c) => c.outcome)).toEqual(['skipped', 'ok'])
  })

  it('keeps breaker state across chain rebuilds when the binding passes the same breaker', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 60_000 })
    await new HookChain([{ plugin: plugins.a!, breaker }]).runPreAuth('r', httpRequest({ 'x-fault': 'throw' }))
    const rebuilt = new HookChain([{ plugin: plugins.b!, priority: 1 }, { plugin: plugins.a!, priority: 2, breaker }])
    expect(rebuilt.breakerStates()).toEqual({ b: 'closed', a: 'open' })
    await expect(rebuilt.runPreAuth('r', httpRequest({ 'x-order': '' }))).resolves.toMatchObject({ request: { headers: { 'x-order': 'b,' } } })
  })

  it('lets an auth plugin that passes hand over to the next', async () => {
    const chain = new HookChain([])
    await expect(chain.runAuth({ requestId: 'r', request: httpRequest(), credential: 'x' })).resolves.toEqual({ kind: 'unhandled' })
  })
})

describe('response chains', () => {
  it('composes header changes and status in order', async () => {
    const chain = new HookChain([{ plugin: plugins.a! }, { plugin: plugins.b! }])
    const result = await chain.runResponseHeaders({ context: requestContext(), status: 200, headers: { 'content-type': 'application/json' } })
    expect(result).toEqual({ status: 201, headers: { 'content-type': 'application/json', 'x-chain': 'a,b,' } })
  })

  it('passes the rewritten body from plugin to plugin', async () => {
    const chain = new HookChain([{ plugin: plugins.c! }, { plugin: plugins.a! }])
    const body = await chain.runResponseBody({ context: requestContext(), status: 200, headers: {}, body: Buffer.from('{}') })
    expect(body.toString()).toBe('{}|c|a')
  })

  it('streams chunks through every plugin in order, including data a plugin held back until the end', async () => {
    const chain = new HookChain([{ plugin: plugins.a! }, { plugin: plugins.b! }, { plugin: plugins.c! }])
    const stream = chain.chunkStream({ ...requestContext(), requestId: 'stream-1', streaming: true })
    const sent: string[] = []
    for (const chunk of ['data: hel', 'lo\n\n', 'data: [DONE]\n\n']) sent.push((await stream.push(Buffer.from(chunk))).toString())
    sent.push((await stream.end()).toString())
    expect(sent).toEqual(['', '', '', 'DATA: HELLO\n\nDATA: [DONE]\n\n'])
  })
})

describe('response streams', () => {
  it('keeps every chunk in order through each plugin under many pipelined pushes, interleaved with another stream', async () => {
    const chain = new HookChain([{ plugin: plugins.a!, failurePolicy: 'fail-closed' }, { plugin: plugins.d!, failurePolicy: 'fail-closed' }])
    const streams = ['s-1', 's-2'].map((requestId) => chain.chunkStream({ ...requestContext(), requestId, streaming: true }))
    const pushed = Array.from({ length: 300 }, (_, i) => streams.map((stream) => stream.push(Buffer.from(`chunk ${i}`))))
    const resolved: number[] = []
    pushed.forEach((pair, i) => void pair[0]!.then(() => resolved.push(i)))
    const results = await Promise.all(pushed.map((pair) => Promise.all(pair)))
    expect(resolved).toEqual(pushed.map((_, i) => i))
    for (const [s, stream] of streams.entries()) {
      expect(results.map((pair) => pair[s]!.toString())).toEqual(results.map((_, i) => `CHUNK ${i}@${i};`))
      expect((await stream.end()).toString()).toBe('end@300')
    }
  })

  it('resolves pushes in push order even when a plugin holds a chunk back while an earlier one is still on its way', async () => {
    const stream = new HookChain([{ plugin: plugins.c! }, { plugin: plugins.a! }]).chunkStream({ ...requestContext(), requestId: 's-hold', streaming: true })
    const resolved: string[] = []
    const pushes = ['slow', 'hold', 'after'].map((data) => stream.push(Buffer.from(data)).then((out) => void resolved.push(`${data}:${out}`)))
    await Promise.all(pushes)
    expect(resolved).toEqual(['slow:SLOW', 'hold:', 'after:AFTER'])
  })

  it('ends a stream behind pushes still on their way: each plugin gets the end after them, and it resolves last', async () => {
    const stream = new HookChain([{ plugin: plugins.a! }, { plugin: plugins.b! }]).chunkStream({ ...requestContext(), requestId: 's-end', streaming: true })
    const resolved: string[] = []
    const pushes = ['x', 'y', 'z'].map((data) => stream.push(Buffer.from(data)).then((out) => void resolved.push(`${data}:${out}`)))
    const ended = stream.end().then((out) => void resolved.push(`end:${out}`))
    await Promise.all([...pushes, ended])
    expect(resolved).toEqual(['x:', 'y:', 'z:', 'end:XYZ'])
  })
})

describe('a breaker bound to a plugin that crashes', () => {
  it('tries the restarted plugin at once: the outage lasts about as long as the restart, not the cool-down', async () => {
    const crashHost = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      // About 0.7 s of restart (backoff plus launch), under a breaker with the default 10 s cool-down.
      const plugin = await crashHost.load({ name: 'crashy', source: fixture('faulty-plugin.mjs'), config: { name: 'crashy' }, restart: { initialDelayMs: 500 } })
      const { calls, observer } = recorder()
      const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed', deadlineMs: 2000 }], observer)
      const killedAt = Date.now()
      process.kill(plugin.pid!, 'SIGKILL')
      let servedAt = 0
      while (!servedAt && Date.now() - killedAt < 20_000) {
        const ok = await chain.runPreAuth('r', httpRequest({ 'x-order': '' })).then(
          () => true,
          () => false,
        )
        if (ok) servedAt = Date.now()
        else await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(calls.some((c) => c.outcome === 'circuit_open')).toBe(true)
      expect(servedAt).toBeGreaterThan(0)
      expect(plugin.restarts).toBe(1)
      // The restart takes 0.5 s of backoff plus a launch (slow on a loaded machine); the cool-down alone would be 10 s.
      expect(servedAt - killedAt).toBeLessThan(6000)
      expect(chain.breakerStates().crashy).toBe('closed')
    } finally {
      await crashHost.shutdown()
    }
  })
})

describe('CircuitBreaker', () => {
  it('releases a cancelled trial: neither success nor failure, and the next call is the trial', () => {
    let now = 0
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100, now: () => now })
    breaker.failure()
    now = 100
    expect(breaker.allow()).toBe(true)
    expect(breaker.allow()).toBe(false)
    breaker.release()
    expect(breaker.state).toBe('half-open')
    expect(breaker.allow()).toBe(true)
    breaker.success()
    expect(breaker.state).toBe('closed')
  })

  it('goes half-open before the cool-down ends once the plugin generation changed', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 60_000 })
    breaker.failure(3)
    expect(breaker.allow(3)).toBe(false)
    expect(breaker.allow(4)).toBe(true)
    expect(breaker.state).toBe('half-open')
    breaker.failure(4)
    expect(breaker.allow(4)).toBe(false)
  })

  it('allows one trial call when half-open and re-opens if it fails', () => {
    let now = 0
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, now: () => now })
    breaker.failure()
    expect(breaker.allow()).toBe(true)
    breaker.failure()
    expect(breaker.state).toBe('open')
    expect(breaker.allow()).toBe(false)
    now = 100
    expect(breaker.allow()).toBe(true)
    expect(breaker.state).toBe('half-open')
    expect(breaker.allow()).toBe(false)
    breaker.failure()
    expect(breaker.state).toBe('open')
    now = 250
    expect(breaker.allow()).toBe(true)
    breaker.success()
    expect(breaker.state).toBe('closed')
  })
})
