import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const body = Buffer.from(JSON.stringify({ model: 'mock-gpt', temperature: 0, messages: [{ role: 'user', content: 'Capital of France?' }] }))
const request = { method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body, clientIp: '127.0.0.1' }
const context = { requestId: 'req-1', llm: 'mock', model: 'mock-gpt', streaming: false, metadata: {}, api: 'chat.completions' }
const completion = Buffer.from(JSON.stringify({ id: 'chatcmpl-1', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris' }, finish_reason: 'stop' }] }))

describe('response-cache as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({ name: 'response-cache', source: `file://${packageDir}`, config: { ttlSeconds: 60 }, scopes: ['kv.readwrite'] })
  })
  afterAll(() => host.shutdown())

  it('misses, stores the completed response over StreamComplete, then answers the same request from the cache', async () => {
    const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
    const miss = await chain.runPostAuth(request, context)
    expect(miss).toMatchObject({ kind: 'continue', metadata: { cacheKey: expect.stringMatching(/^[0-9a-f]{64}$/) } })
    const metadata = miss.kind === 'continue' ? miss.metadata : {}
    await plugin.rpc('streamComplete', { context: { ...context, metadata }, status: 200, body: completion, usage: undefined, aborted: false }, { deadlineMs: 5000 })

    const hit = await chain.runPostAuth(request, { ...context, requestId: 'req-2' })
    expect(hit).toMatchObject({ kind: 'block', plugin: 'response-cache', status: 200, headers: { 'content-type': 'application/json', 'x-plugboard-cache': 'hit' } })
    expect(hit.kind === 'block' && hit.body).toEqual(completion)
  })
})
