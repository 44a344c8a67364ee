import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const base = { requestId: 'r1', timestampMs: 1_700_000_000_000, appId: 'app-1', userId: 'u-1', llm: 'mock', model: 'mock-gpt' }

describe('file-analytics as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-analytics-'))
    // Writable by the plugin's own uid when the host runs as root; allowWrite lets Node's permission model agree.
    await chmod(dir, 0o777)
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({ name: 'file-analytics', source: `file://${packageDir}`, allowWrite: [dir], config: { path: join(dir, 'out', 'analytics.jsonl') } })
  })
  afterAll(async () => {
    await host.shutdown()
    await rm(dir, { recursive: true, force: true })
  })

  it('appends the batches the host sends over CollectData, and has them on disk after shutdown', async () => {
    const analytics = { ...base, usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 }, cost: 0.5, latencyMs: 9, status: 200, streaming: true, api: 'chat.completions' }
    const proxyLog = { ...base, method: 'POST', path: '/v1/chat/completions', status: 200, latencyMs: 9, requestBody: Buffer.from('prompt'), responseBody: Buffer.from('answer') }
    await plugin.rpc('collectData', { analytics: [analytics], proxyLogs: [proxyLog], budgetUsage: [] }, { deadlineMs: 5000 })
    await plugin.rpc('collectData', { analytics: [], proxyLogs: [], budgetUsage: [{ appId: 'app-1', period: '2025-11', cost: 0.5, spent: 2, limit: 10 }] }, { deadlineMs: 5000 })
    await host.shutdown()
    const lines = (await readFile(join(dir, 'out', 'analytics.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
    expect(lines.map((line) => line.type)).toEqual(['analytics', 'proxy_log', 'budget_usage'])
    expect(lines[0]).toEqual({ type: 'analytics', ...analytics })
    expect(lines[1]).not.toHaveProperty('requestBody')
  })
})
