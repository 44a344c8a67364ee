import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { Gateway, parseConfig, type GatewayConfig } from '@plugboard/gateway'
import { DEMO_KEY, fixtureSource, post } from './helpers.js'
import { alive, childProcesses, eventually, examplePlugin } from './plugin-processes.js'

interface Plugins {
  /** Requests per minute of the rate limiter; absent: not loaded. */
  limit?: number
  limiterScopes?: string
  /** The x-served-by header response-headers sets; absent: not loaded. */
  servedBy?: string
  /** More keys of response-headers' entry (binding edits). */
  headersBinding?: string
  headersPriority?: number
  /** Load the hooks fixture (its chunk hook upper-cases "Mock reply"). */
  hooks?: boolean
  /** Load the hooks fixture in pre-auth only, fail-open, with a breaker that opens at the first failure. */
  breakerHooks?: boolean
  key?: string
  price?: number
}

function yaml(p: Plugins): string {
  const plugins = [
    p.limit !== undefined &&
      `  - { name: rate-limiter, source: ${examplePlugin('rate-limiter')}, priority: 20, scopes: ${p.limiterScopes ?? '[kv.readwrite]'}, config: { requestsPerMinute: ${p.limit} } }`,
    p.servedBy !== undefined &&
      `  - { name: response-headers, source: ${examplePlugin('response-headers')}, priority: ${p.headersPriority ?? 50}, config: { headers: { x-served-by: ${p.servedBy} } }${p.headersBinding ?? ''} }`,
    p.hooks && `  - { name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [response] }`,
    p.breakerHooks &&
      `  - { name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [pre_auth], deadlineMs: 300, breaker: { failureThreshold: 1, cooldownMs: 600000 } }`,
  ].filter(Boolean)
  return `
server: { port: 0 }
llms:
  - { slug: mock, vendor: mock, models: [mock-gpt] }
  - { slug: slow, vendor: mock, models: [mock-slow], mock: { completionTokens: 40, chunks: 20, chunkDelayMs: 40 } }
apps: [{ id: demo, keys: [{ value: ${p.key ?? DEMO_KEY} }] }]
pricing: { mock-gpt: { input: ${p.price ?? 1}, output: 2 } }
plugins:
${plugins.join('\n') || '  []'}
`
}

const config = (p: Plugins): GatewayConfig => parseConfig(yaml(p), { baseDir: fileURLToPath(new URL('.', import.meta.url)), env: {} })

let gateway: Gateway | undefined
const logs: Array<Record<string, any>> = []

async function start(p: Plugins): Promise<Gateway> {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, any>) })
  gateway = await Gateway.start({ config: config(p), logger })
  return gateway
}
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
  logs.length = 0
})

const chat = (key = DEMO_KEY) => post(`${gateway!.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${key}` })
const pids = () => Object.fromEntries(gateway!.plugins().map((plugin) => [plugin.name, plugin.pid]))
const lastApplied = () => logs.filter((line) => line.msg === 'config applied').at(-1)

describe('live config: changes apply incrementally', () => {
  it("reloads only the plugin whose config changed; the rate limiter's process and its count survive", async () => {
    await start({ limit: 3, servedBy: 'first' })
    const before = pids()
    expect((await chat()).status).toBe(200)
    expect((await chat()).status).toBe(200)

    await gateway!.reload(config({ limit: 3, servedBy: 'second' }))
    const after = pids()
    expect(after['rate-limiter']).toBe(before['rate-limiter'])
    expect(after['response-headers']).not.toBe(before['response-headers'])
    expect(await eventually(() => !alive(before['response-headers']))).toBe(true)
    expect(lastApplied()).toMatchObject({ changes: { plugins: { reloaded: ['response-headers'] } } })

    const third = await chat()
    expect(third.status).toBe(200)
    expect(third.headers.get('x-served-by')).toBe('second')
    // The fourth request in the minute: the limiter remembers the first two, made before the reload.
    expect((await chat()).status).toBe(429)
  })

  it('fails no request while a plugin is reloaded under load', async () => {
    await start({ servedBy: 'before' })
    let reloaded = false
    const statuses: number[] = []
    const served = new Set<string | null>()
    const worker = async () => {
      // Each worker goes on until one of its requests started after the reload.
      for (let i = 0, after = false; i < 40 || !after; i++) {
        after = reloaded
        const response = await chat()
        statuses.push(response.status)
        served.add(response.headers.get('x-served-by'))
      }
    }
    const workers = Array.from({ length: 4 }, worker)
    await new Promise((resolve) => setTimeout(resolve, 200))
    await gateway!.reload(config({ servedBy: 'after' }))
    reloaded = true
    await Promise.all(workers)
    expect(statuses.filter((status) => status !== 200)).toEqual([])
    expect([...served].sort()).toEqual(['after', 'before'])
  })

  it('applies LLM, app, key and price edits and binding, priority and policy edits without restarting any plugin', async () => {
    await start({ limit: 100, servedBy: 'same' })
    const before = pids()
    await gateway!.reload(config({ limit: 100, servedBy: 'same', key: 'pb-new-key-0123456789', price: 5 }))
    expect((await chat('pb-new-key-0123456789')).status).toBe(200)
    expect((await chat()).status).toBe(401)
    expect(lastApplied()).toMatchObject({ changes: { apps: { changed: ['demo'] }, pricing: { changed: ['mock-gpt'] } } })
    expect(lastApplied()!.changes.plugins).toBeUndefined()

    // Bound to no hook: response-headers stays loaded but no longer runs.
    await gateway!.reload(config({ limit: 100, servedBy: 'same', key: 'pb-new-key-0123456789', headersBinding: ', hooks: [], failurePolicy: fail-closed', headersPriority: 5 }))
    const unbound = await chat('pb-new-key-0123456789')
    expect(unbound.status).toBe(200)
    expect(unbound.headers.get('x-served-by')).toBeNull()
    expect(lastApplied()).toMatchObject({ changes: { plugins: { rebound: ['response-headers'] } } })
    expect(pids()).toEqual(before)
  })

  it('changes a plugin’s scopes without restarting it', async () => {
    await start({ limit: 100, limiterScopes: '[]' })
    const before = pids()
    await gateway!.reload(config({ limit: 100, limiterScopes: '[kv.readwrite]' }))
    expect(pids()).toEqual(before)
    expect(lastApplied()).toMatchObject({ changes: { plugins: { rescoped: ['rate-limiter'] } } })
    expect((await chat()).status).toBe(200)
  })

  it('adds a plugin by loading it, and removes one only after the requests that use it are done', async () => {
    await start({ limit: 100 })
    await gateway!.reload(config({ limit: 100, hooks: true }))
    const hooksPid = pids().hooks
    expect(alive(hooksPid)).toBe(true)
    expect(lastApplied()).toMatchObject({ changes: { plugins: { added: ['hooks'] } } })

    // A 20-chunk stream (~1 s) through the hooks plugin's chunk hook; the plugin is removed while it runs.
    const streaming = post(`${gateway!.url}/v1/chat/completions`, { model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    await new Promise((resolve) => setTimeout(resolve, 200))
    await gateway!.reload(config({ limit: 100 }))
    expect(lastApplied()).toMatchObject({ changes: { plugins: { removed: ['hooks'] } } })
    expect((await chat()).text).not.toContain('MOCK REPLY')
    const stream = await streaming
    expect(stream.status).toBe(200)
    expect(stream.text).toContain('MOCK REPLY')
    expect(stream.text).not.toContain('Mock reply')
    expect(stream.text).toContain('data: [DONE]')
    expect(await eventually(() => !alive(hooksPid))).toBe(true)
  })

  it('waits for requests that started two configs ago before it stops a removed plugin', async () => {
    await start({ hooks: true })
    const hooksPid = pids().hooks
    const streaming = post(`${gateway!.url}/v1/chat/completions`, { model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    await new Promise((resolve) => setTimeout(resolve, 200))
    await gateway!.reload(config({ hooks: true, price: 7 }))
    await gateway!.reload(config({}))
    expect(alive(hooksPid)).toBe(true)
    const stream = await streaming
    expect(stream.text).toContain('MOCK REPLY')
    expect(stream.text).not.toContain('Mock reply')
    expect(await eventually(() => !alive(hooksPid))).toBe(true)
  })

  it('takes back a removed plugin that is re-added while its last requests run, without restarting it', async () => {
    await start({ limit: 100, hooks: true })
    const hooksPid = pids().hooks
    const streaming = post(`${gateway!.url}/v1/chat/completions`, { model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    await new Promise((resolve) => setTimeout(resolve, 200))
    await gateway!.reload(config({ limit: 100 }))
    await gateway!.reload(config({ limit: 100, hooks: true }))
    expect((await streaming).text).toContain('MOCK REPLY')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(pids().hooks).toBe(hooksPid)
    expect(alive(hooksPid)).toBe(true)
    expect((await chat()).json.hooked).toBe('body')
  })

  it('serializes reloads: of quick successive configs the last one is in force, and no plugin process leaks', async () => {
    const baseline = childProcesses().length
    await start({ limit: 100 })
    const reloads = [
      gateway!.reload(config({ limit: 100, hooks: true })),
      gateway!.reload(config({ limit: 100, servedBy: 'a' })),
      gateway!.reload(config({ limit: 100, servedBy: 'b', hooks: true })),
      gateway!.reload(config({ limit: 100, servedBy: 'c' })),
    ]
    await Promise.all(reloads)
    const response = await chat()
    expect(response.headers.get('x-served-by')).toBe('c')
    expect(response.text).not.toContain('MOCK REPLY')
    expect(await eventually(() => gateway!.plugins().length === 2 && childProcesses().length === baseline + 2)).toBe(true)
    expect(
      gateway!
        .plugins()
        .map((plugin) => plugin.name)
        .sort(),
    ).toEqual(['rate-limiter', 'response-headers'])
    await gateway!.close()
    expect(await eventually(() => childProcesses().length === baseline)).toBe(true)
  })

  it("keeps a binding's circuit breaker across a reload that rebuilt the chains", async () => {
    await start({ servedBy: 'one', breakerHooks: true })
    const circuitOpen = async () => Number(/plugin="hooks",hook="preAuth",outcome="circuit_open"[^}]*\} (\d+)/.exec(await (await fetch(`${gateway!.url}/metrics`)).text())?.[1] ?? 0)
    // A hung pre-auth call fails by its deadline: fail-open, so the request passes, and the breaker opens.
    expect((await post(`${gateway!.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }, { 'x-fault': 'pre_auth:hang' })).status).toBe(200)
    expect((await chat()).status).toBe(200)
    expect(await circuitOpen()).toBe(1)
    await gateway!.reload(config({ servedBy: 'two', breakerHooks: true }))
    expect((await chat()).headers.get('x-served-by')).toBe('two')
    expect(await circuitOpen()).toBe(2)
  })

  it('rejects a config whose plugin cannot start, logs why, and keeps the running plugins as they were', async () => {
    await start({ limit: 100, servedBy: 'kept' })
    const before = pids()
    // response-headers refuses to set framing headers: its new process fails Initialize.
    const bad = config({ limit: 100, servedBy: 'kept', headersBinding: ', hooks: [response]' })
    bad.plugins[1]!.config = { headers: { 'content-length': '1' } }
    await expect(gateway!.reload(bad)).rejects.toMatchObject({ code: expect.any(String) })
    expect(logs.filter((line) => line.msg === 'config rejected').at(-1)).toMatchObject({ reason: expect.stringContaining('response-headers') })
    expect(pids()).toEqual(before)
    expect((await chat()).headers.get('x-served-by')).toBe('kept')
  })
})
