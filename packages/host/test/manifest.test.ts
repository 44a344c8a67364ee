import { afterEach, describe, expect, it } from 'vitest'
import { PluginHost, type ManagedPlugin, type PluginSpec } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest } from './helpers.js'

let host: PluginHost | undefined
let lines: Array<Record<string, unknown>> = []
afterEach(async () => {
  await host?.shutdown()
  host = undefined
})

function newHost(): PluginHost {
  const captured = capturingLogger()
  lines = captured.lines
  host = new PluginHost({ runtime: 'gateway', logger: captured.logger })
  return host
}

const versioned = (extra: Partial<PluginSpec> = {}): PluginSpec => ({ name: 'versioned', source: fixture('versioned-v1.mjs'), ...extra })
const initialized = () => lines.filter((line) => line.msg === 'versioned initialized')

async function kvSet(plugin: ManagedPlugin): Promise<string> {
  const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set' }) }, { deadlineMs: 5000 })
  if (result.result?.$case === 'pass') return 'allowed'
  return result.result?.$case === 'block' ? (JSON.parse(result.result.value.body.toString()) as { code: string }).code : 'unexpected'
}

describe('manifest and config schema', () => {
  it('reads both at load and exposes them on the plugin', async () => {
    const plugin = await newHost().load(versioned({ config: { allow: ['10.0.0.0/8'], greeting: 'hi' }, scopes: ['kv.readwrite'] }))
    expect(plugin.manifest).toMatchObject({ id: 'versioned', version: '1.0.0', permissions: { services: ['kv.readwrite', 'events.publish'] } })
    expect(plugin.configSchema).toMatchObject({ type: 'object', properties: { allow: { type: 'array' } } })
    const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest() }, { deadlineMs: 5000 })
    expect(result.result).toMatchObject({ $case: 'modify', value: { metadata: { greeting: 'hi' } } })
  })

  it('refuses a config that does not match the schema before the plugin sees it, naming each JSON pointer', async () => {
    const error = await newHost()
      .load(versioned({ config: { allow: ['10.0.0.0/8', 7], mode: 'c', extra: true } }))
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({
      code: 'PLUGIN_CONFIG_INVALID',
      message: expect.stringContaining('/allow/1: must be string'),
      details: expect.arrayContaining(['/allow/1: must be string', '/extra: is not allowed', '/mode: must be equal to one of the allowed values ("a", "b")']),
    })
    expect(initialized()).toEqual([])
    expect(host!.list()).toEqual([])
  })

  it('checks a missing config as an empty object', async () => {
    const plugin = await newHost().load(versioned())
    expect(plugin.state).toBe('running')
    expect(initialized()).toHaveLength(1)
  })
})

describe('granted scopes', () => {
  it('must be known scope names', async () => {
    await expect(newHost().load(versioned({ scopes: ['kv.write' as never] }))).rejects.toMatchObject({
      code: 'PLUGIN_SCOPES_INVALID',
      message: expect.stringContaining('"kv.write"'),
    })
  })

  it('must be requested by the manifest', async () => {
    await expect(newHost().load(versioned({ scopes: ['kv.readwrite', 'llms.read'] }))).rejects.toMatchObject({
      code: 'PLUGIN_SCOPES_INVALID',
      message: expect.stringContaining('"llms.read"'),
    })
    expect(initialized()).toEqual([])
  })

  it('change without reconnecting: a call denied before is allowed after, on the same process and connection', async () => {
    const plugin = await newHost().load(versioned({ scopes: [] }))
    const { pid, generation } = plugin
    await expect(kvSet(plugin)).resolves.toBe('SCOPE_DENIED')
    plugin.setScopes(['kv.readwrite'])
    await expect(kvSet(plugin)).resolves.toBe('allowed')
    expect(() => plugin.setScopes(['llms.read'])).toThrow(expect.objectContaining({ code: 'PLUGIN_SCOPES_INVALID' }))
    await expect(kvSet(plugin)).resolves.toBe('allowed')
    plugin.setScopes([])
    await expect(kvSet(plugin)).resolves.toBe('SCOPE_DENIED')
    expect(plugin.pid).toBe(pid)
    expect(plugin.generation).toBe(generation)
    expect(plugin.spec.scopes).toEqual([])
  })

  it('refuses a reload whose config is invalid, and the running one keeps its config', async () => {
    const plugin = await newHost().load(versioned({ config: { greeting: 'old' } }))
    await expect(plugin.reload(versioned({ config: { greeting: 42 } }))).rejects.toMatchObject({
      code: 'PLUGIN_CONFIG_INVALID',
      details: ['/greeting: must be string'],
    })
    const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest() }, { deadlineMs: 5000 })
    expect(result.result).toMatchObject({ $case: 'modify', value: { metadata: { greeting: 'old' } } })
  })
})
