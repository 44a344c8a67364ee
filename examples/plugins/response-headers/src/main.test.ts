import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

describe('response-headers as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({
      name: 'response-headers',
      source: `file://${packageDir}`,
      config: { headers: { 'x-served-by': 'plugboard' }, remove: ['server'] },
    })
  })
  afterAll(() => host.shutdown())

  it('rewrites response headers through a response-headers chain', async () => {
    expect(plugin.description).toMatchObject({ id: 'response-headers', capabilities: expect.arrayContaining(['response', 'config_provider']) })
    const context = { requestId: 'req-1', llm: 'mock', model: 'mock-gpt', streaming: false, metadata: {}, api: 'chat.completions' }
    const outcome = await new HookChain([{ plugin, failurePolicy: 'fail-closed' }]).runResponseHeaders({
      context,
      status: 200,
      headers: { server: 'uvicorn', 'content-type': 'application/json' },
    })
    expect(outcome).toEqual({ status: 200, headers: { 'content-type': 'application/json', 'x-served-by': 'plugboard' } })
  })
})
