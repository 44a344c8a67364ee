import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const app = (id: string) => ({ id, name: id, allowedLlms: [], monthlyBudget: 0, metadata: {} })
const context = (appId: string, requestId = 'req') => ({ requestId, app: app(appId), llm: 'mock', model: 'mock-gpt', streaming: false, metadata: {}, api: 'chat.completions' })
const request = { method: 'POST', path: '/v1/chat/completions', query: '', headers: {}, body: Buffer.from('{}'), clientIp: '127.0.0.1' }

describe('rate-limiter as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  let chain: HookChain
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({
      name: 'rate-limiter',
      source: `file://${packageDir}`,
      config: { requestsPerMinute: 2, tokensPerMinute: 100 },
      scopes: ['kv.readwrite'],
    })
    chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
  })
  afterAll(() => host.shutdown())

  it('blocks the request over the limit with 429 and keeps the bucket in the host KV store', async () => {
    await expect(chain.runPostAuth(request, context('app-1'))).resolves.toMatchObject({ kind: 'continue' })
    await expect(chain.runPostAuth(request, context('app-1'))).resolves.toMatchObject({ kind: 'continue' })
    const blocked = await chain.runPostAuth(request, context('app-1'))
    expect(blocked).toMatchObject({ kind: 'block', plugin: 'rate-limiter', status: 429, headers: { 'retry-after': expect.stringMatching(/^\d+$/) } })
    expect(blocked.kind === 'block' && JSON.parse(blocked.body.toString()).error.code).toBe('RATE_LIMITED')
    const stored = await host.serviceApi.kvGet({ key: 'bucket/app-1' }, { plugin: 'rate-limiter', scopes: new Set(['kv.readwrite']) }, new AbortController().signal)
    expect(JSON.parse(stored.value.toString())).toMatchObject({ tokens: 100 })
  })

  it('debits the usage a stream reports and then blocks the app on tokens', async () => {
    const stream = chain.chunkStream({ ...context('app-2', 'req-s'), streaming: true })
    const usage = Buffer.from(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 130, total_tokens: 150 } })}\n\n`)
    expect(await stream.push(usage)).toEqual(usage)
    await stream.end()
    const blocked = await chain.runPostAuth(request, context('app-2'))
    expect(blocked.kind === 'block' && JSON.parse(blocked.body.toString()).error.message).toContain('100 tokens per minute')
  })

  it('debits what a stream used when the client left before its end', async () => {
    const client = new AbortController()
    const stream = chain.chunkStream({ ...context('app-3', 'req-gone'), streaming: true }, client.signal)
    await stream.push(Buffer.from(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x'.repeat(400) } }] })}\n\n`))
    client.abort()
    const caller = { plugin: 'rate-limiter', scopes: new Set(['kv.readwrite'] as const) }
    const bucket = () => host.serviceApi.kvGet({ key: 'bucket/app-3' }, caller, new AbortController().signal).then((stored) => stored.value.toString())
    for (let i = 0; i < 100 && !(await bucket()); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(JSON.parse(await bucket())).toMatchObject({ tokens: 0 })
  })
})
