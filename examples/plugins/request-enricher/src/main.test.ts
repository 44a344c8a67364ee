import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

describe('request-enricher as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({
      name: 'request-enricher',
      source: `file://${packageDir}`,
      config: { headers: { 'x-team': 'ml' }, countRequests: true },
      scopes: ['kv.readwrite'],
    })
  })
  afterAll(() => host.shutdown())

  it('modifies requests through a post-auth chain, counting per app in the host KV store', async () => {
    const chain = new HookChain([{ plugin }])
    const app = { id: 'app-1', name: 'demo', allowedLlms: [], monthlyBudget: 0, metadata: {} }
    const context = { requestId: 'req-1', app, llm: 'mock', model: 'mock-gpt', streaming: false, metadata: {}, api: 'chat.completions' }
    const request = { method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), clientIp: '127.0.0.1' }
    await chain.runPostAuth(request, context)
    const outcome = await chain.runPostAuth(request, context)
    expect(outcome).toMatchObject({
      kind: 'continue',
      request: { headers: { 'content-type': 'application/json', 'x-team': 'ml', 'x-plugboard-app': 'demo', 'x-plugboard-app-requests': '2' } },
      metadata: { enrichedBy: 'request-enricher' },
    })
    const stored = await host.serviceApi.kvGet({ key: 'requests/app-1' }, { plugin: 'request-enricher', scopes: new Set(['kv.readwrite']) }, new AbortController().signal)
    expect(stored.value.toString()).toBe('2')
  })
})
