import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway, GatewayConfig } from '@plugboard/gateway'
import { fixtureSource, pluginOutput, post, startGateway } from './helpers.js'
import { eventually, examplePlugin } from './plugin-processes.js'

/** Sum of a counter's samples whose labels match every given `label="value"`. */
async function counter(gateway: Gateway, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

const chat = (gateway: Gateway, content = 'hi') => post(`${gateway.url}/v1/chat/completions`, { model: 'mock-gpt', messages: [{ role: 'user', content }] })

/** The JSON lines file-analytics wrote, or none yet. */
function lines(path: string): Array<Record<string, any>> {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>)
}

/** Sends `count` chat requests, `concurrency` at a time; `at(i)` runs before request i is sent. */
async function load(gateway: Gateway, count: number, at: (i: number) => Promise<void> = async () => undefined, concurrency = 4) {
  let next = 0
  const statuses: number[] = []
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        await at(i)
        statuses.push((await chat(gateway)).status)
      }
    }),
  )
  return statuses
}

describe('data collection queue', () => {
  let gateway: Gateway
  beforeAll(async () => {
    ;({ gateway } = await startGateway({
      yaml: `
plugins: [{ name: hooks, source: ${fixtureSource('hooks-plugin.mjs')}, hooks: [data_collection] }]
collector: { maxQueue: 3, batchSize: 1000, flushIntervalMs: 60000 }`,
    }))
  })
  afterAll(() => gateway.close())

  it('never holds a request: when full it drops records and counts them as queue_full', async () => {
    for (let i = 0; i < 4; i++) expect((await chat(gateway)).status).toBe(200)
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text()
    expect(metrics).toMatch(/plugboard_collector_queue_depth 3/)
    // Two records a request (proxy log, analytics): the demo app has no budget, so no budget-usage record.
    expect(await counter(gateway, 'plugboard_collector_dropped_total', { plugin: 'hooks', reason: 'queue_full' })).toBe(4 * 2 - 3)
  })
})

describe('data collection with the file-analytics example plugin', () => {
  let dir: string
  let allowWrite: string
  let gateway: Gateway | undefined
  beforeAll(() => {
    ;({ dir, allowWrite } = pluginOutput('pb-collect-'))
  })
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const analyticsPlugin = (name: string, file: string, more = '') =>
    `  - { name: ${name}, source: ${examplePlugin('file-analytics')}, allowWrite: ${allowWrite}, config: { path: ${file}, includeBodies: true }${more} }`

  it('loses nothing while the plugin is killed mid-load: delivered + counted drops = requests sent', async () => {
    const file = join(dir, 'killed.jsonl')
    ;({ gateway } = await startGateway({
      yaml: `
plugins:
${analyticsPlugin('analytics', file, ', restart: { initialDelayMs: 200, maxCrashes: 10 }')}
collector: { batchSize: 10, flushIntervalMs: 50 }`,
    }))
    const g = gateway
    const plugin = () => g.plugins().find((p) => p.name === 'analytics')!
    const sent = 240
    const pids: number[] = []
    const statuses = await load(g, sent, async (i) => {
      if (i !== 80 && i !== 160) return
      // Kill the process that serves now (after the first kill: once the restarted one is up).
      expect(await eventually(() => plugin().state === 'running' && !pids.includes(plugin().pid!))).toBe(true)
      pids.push(plugin().pid!)
      process.kill(plugin().pid!, 'SIGKILL')
    })
    expect(statuses.every((status) => status === 200)).toBe(true)
    expect(await eventually(() => plugin().restarts === 2 && plugin().state === 'running')).toBe(true)

    const dropped = () => counter(g, 'plugboard_collector_dropped_total', { plugin: 'analytics', kind: 'analytics' })
    const delivered = () => counter(g, 'plugboard_collector_delivered_total', { plugin: 'analytics', kind: 'analytics' })
    expect(await eventually(async () => (await delivered()) + (await dropped()) >= sent, 20_000)).toBe(true)
    // A batch written just before the kill, but not acknowledged, is sent again: count request ids, not lines.
    const written = new Set(lines(file).filter((line) => line.type === 'analytics').map((line) => line.requestId))
    expect(written.size + (await dropped())).toBe(sent)
    expect(await dropped()).toBe(0)
  })

  it('holds at most maxBuffered records for a plugin that is down, counts the rest as buffer_full, and delivers the held ones when it is back', async () => {
    const file = join(dir, 'bounded.jsonl')
    ;({ gateway } = await startGateway({
      yaml: `
plugins:
${analyticsPlugin('analytics', file, ', restart: { initialDelayMs: 2500 }')}
collector: { batchSize: 3, flushIntervalMs: 50, maxBuffered: 12 }`,
    }))
    const g = gateway
    const plugin = g.plugins()[0]!
    process.kill(plugin.pid!, 'SIGKILL')
    expect(await eventually(() => plugin.state === 'restarting')).toBe(true)
    const sent = 30
    await load(g, sent)
    const buffered = /plugboard_collector_buffered\{plugin="analytics"\} (\d+)/.exec(await (await fetch(`${g.url}/metrics`)).text())
    expect(Number(buffered?.[1])).toBeLessThanOrEqual(12)
    expect(await counter(g, 'plugboard_collector_dropped_total', { plugin: 'analytics', reason: 'buffer_full' })).toBeGreaterThan(0)

    const dropped = () => counter(g, 'plugboard_collector_dropped_total', { plugin: 'analytics', kind: 'analytics' })
    const delivered = () => counter(g, 'plugboard_collector_delivered_total', { plugin: 'analytics', kind: 'analytics' })
    expect(await eventually(async () => (await delivered()) + (await dropped()) === sent, 15_000)).toBe(true)
    expect(await delivered()).toBeGreaterThan(0)
    expect(new Set(lines(file).filter((line) => line.type === 'analytics').map((line) => line.requestId)).size).toBe(await delivered())
  })

  it('counts what a plugin that gave up misses (plugin_failed), /ready says degraded, and a config apply restarts it', async () => {
    const file = join(dir, 'gave-up.jsonl')
    let config: GatewayConfig | undefined
    ;({ gateway, config } = await startGateway({
      yaml: `
plugins:
${analyticsPlugin('analytics', file, ', restart: { maxCrashes: 1 }')}
collector: { batchSize: 5, flushIntervalMs: 50 }`,
    }))
    const g = gateway
    const plugin = g.plugins()[0]!
    expect((await fetch(`${g.url}/ready`)).status).toBe(200)
    await load(g, 20)
    expect(await eventually(async () => (await counter(g, 'plugboard_collector_delivered_total', { kind: 'analytics' })) === 20)).toBe(true)
    process.kill(plugin.pid!, 'SIGKILL')
    expect(await eventually(() => plugin.state === 'failed')).toBe(true)
    await load(g, 30)

    const dropped = () => counter(g, 'plugboard_collector_dropped_total', { plugin: 'analytics', kind: 'analytics', reason: 'plugin_failed' })
    expect(await eventually(async () => (await dropped()) === 30)).toBe(true)
    expect(new Set(lines(file).filter((line) => line.type === 'analytics').map((line) => line.requestId)).size).toBe(20)
    const ready = await fetch(`${g.url}/ready`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toEqual({ status: 'degraded', reasons: [expect.stringContaining('data-collection plugin "analytics"')] })

    // Applying the config again (a touch of the file does it) restarts a plugin that was given up.
    await g.reload(config!)
    expect(plugin.state).toBe('running')
    expect((await fetch(`${g.url}/ready`)).status).toBe(200)
    await load(g, 5)
    expect(await eventually(async () => (await counter(g, 'plugboard_collector_delivered_total', { kind: 'analytics' })) === 25)).toBe(true)
  })

  it('sends request and response bodies only to a plugin whose binding opts in (includeBodies)', async () => {
    const withBodies = join(dir, 'with-bodies.jsonl')
    const metadataOnly = join(dir, 'metadata-only.jsonl')
    ;({ gateway } = await startGateway({
      yaml: `
plugins:
${analyticsPlugin('with-bodies', withBodies, ', includeBodies: true')}
${analyticsPlugin('metadata-only', metadataOnly)}
collector: { batchSize: 1, flushIntervalMs: 50 }`,
    }))
    expect((await chat(gateway, 'the secret prompt 42')).status).toBe(200)
    const proxyLog = (file: string) => lines(file).find((line) => line.type === 'proxy_log')
    expect(await eventually(() => proxyLog(withBodies) !== undefined && proxyLog(metadataOnly) !== undefined)).toBe(true)
    expect(proxyLog(withBodies)!.requestBody).toContain('the secret prompt 42')
    expect(proxyLog(withBodies)!.responseBody).toContain('chat.completion')
    expect(proxyLog(metadataOnly)).toMatchObject({ path: '/v1/chat/completions', status: 200, requestBody: '', responseBody: '' })
    expect(readFileSync(metadataOnly, 'utf8')).not.toContain('secret prompt')
  })
})
