import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AnalyticsRecord, BudgetUsage, ProxyLog } from '@plugboard/sdk'
import { createTestHost } from '@plugboard/sdk/testing'
import { FileAnalytics } from './file-analytics.js'

const base = { requestId: 'r1', timestampMs: 1_700_000_000_000, appId: 'app-1', userId: 'u-1', llm: 'mock', model: 'mock-gpt' }
const analytics: AnalyticsRecord = { ...base, usage: { promptTokens: 3, completionTokens: 5, totalTokens: 8 }, cost: 0.002, latencyMs: 42, status: 200, streaming: false, api: 'chat.completions' }
const proxyLog: ProxyLog = {
  ...base,
  method: 'POST',
  path: '/v1/chat/completions',
  status: 200,
  latencyMs: 42,
  requestBody: Buffer.from('{"messages":[{"role":"user","content":"secret prompt"}]}'),
  responseBody: Buffer.from('{"choices":[]}'),
}
const budget: BudgetUsage = { appId: 'app-1', period: '2025-11', cost: 0.002, spent: 1.5, limit: 10 }

describe('FileAnalytics (in-process)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-analytics-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  const lines = async (path: string) =>
    (await readFile(path, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))

  it('creates the directory and appends one tagged JSON line per record, without bodies', async () => {
    const path = join(dir, 'logs', 'nested', 'analytics.jsonl')
    const host = await createTestHost(new FileAnalytics(), { config: { path } })
    await host.collect({ analytics: [analytics], proxyLogs: [proxyLog], budgetUsage: [budget] })
    await host.collect({ analytics: [{ ...analytics, requestId: 'r2' }] })
    const { requestBody: _request, responseBody: _response, ...logWithoutBodies } = proxyLog
    expect(await lines(path)).toEqual([
      { type: 'analytics', ...analytics },
      { type: 'proxy_log', ...logWithoutBodies },
      { type: 'budget_usage', ...budget },
      { type: 'analytics', ...analytics, requestId: 'r2' },
    ])
    expect(await readFile(path, 'utf8')).not.toContain('secret prompt')
  })

  it('writes bodies as UTF-8 text when includeBodies is set', async () => {
    const path = join(dir, 'analytics.jsonl')
    const host = await createTestHost(new FileAnalytics(), { config: { path, includeBodies: true } })
    await host.collect({ proxyLogs: [proxyLog] })
    expect((await lines(path))[0]).toMatchObject({ requestBody: proxyLog.requestBody.toString(), responseBody: '{"choices":[]}' })
  })

  it('keeps concurrent batches whole and in arrival order', async () => {
    const path = join(dir, 'analytics.jsonl')
    const host = await createTestHost(new FileAnalytics(), { config: { path } })
    const batches = Array.from({ length: 20 }, (_, b) => ({ analytics: Array.from({ length: 50 }, (_, i) => ({ ...analytics, requestId: `${b}-${i}` })) }))
    await Promise.all(batches.map((batch) => host.collect(batch)))
    expect((await lines(path)).map((line) => line.requestId)).toEqual(batches.flatMap((batch) => batch.analytics.map((a) => a.requestId)))
  })

  it('finishes appends in progress before it shuts down', async () => {
    const path = join(dir, 'analytics.jsonl')
    const host = await createTestHost(new FileAnalytics(), { config: { path } })
    const pending = host.collect({ budgetUsage: [budget] })
    await host.close()
    expect(await lines(path)).toEqual([{ type: 'budget_usage', ...budget }])
    await pending
  })

  it('writes nothing for an empty batch', async () => {
    const path = join(dir, 'analytics.jsonl')
    const host = await createTestHost(new FileAnalytics(), { config: { path } })
    await host.collect({})
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('fails the batch, and only that batch, when the file cannot be written', async () => {
    const path = join(dir, 'analytics.jsonl')
    const host = await createTestHost(new FileAnalytics(), { config: { path } })
    await rm(dir, { recursive: true })
    await expect(host.collect({ budgetUsage: [budget] })).rejects.toMatchObject({ code: 'ENOENT' })
    await mkdir(dir)
    await host.collect({ budgetUsage: [{ ...budget, period: '2025-12' }] })
    expect(await lines(path)).toEqual([{ type: 'budget_usage', ...budget, period: '2025-12' }])
  })

  it.each([[null], [{}], [{ path: 'relative/analytics.jsonl' }], [{ path: '/tmp/a.jsonl', includeBodies: 'yes' }]])('refuses config %j with CONFIG_INVALID', async (config) => {
    await expect(createTestHost(new FileAnalytics(), { config: config as never })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
