import { afterEach, describe, expect, it } from 'vitest'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest, processAlive, waitFor } from './helpers.js'

let host: PluginHost | undefined
afterEach(async () => {
  await host?.shutdown()
  host = undefined
})

async function loadFaulty(
  options: { scopes?: ['kv.readwrite'] | []; restart?: { maxCrashes?: number; initialDelayMs?: number }; config?: Record<string, unknown> } = {},
) {
  const captured = capturingLogger()
  host = new PluginHost({ runtime: 'gateway', logger: captured.logger })
  const plugin = await host.load({ name: 'faulty', source: fixture('faulty-plugin.mjs'), scopes: options.scopes, restart: options.restart, config: options.config })
  return { plugin, lines: captured.lines, host }
}

const call = (plugin: ManagedPlugin, fault: string, extra: Record<string, string> = {}, deadlineMs = 2000) =>
  plugin.callHook('preAuth', { requestId: `r-${fault}`, request: httpRequest({ 'x-fault': fault, ...extra }) }, { deadlineMs })

describe('a plugin that crashes mid-call', () => {
  it('fails in-flight calls fast, restarts the plugin, and serves later calls', async () => {
    const { plugin } = await loadFaulty()
    const firstPid = plugin.pid!
    const restarted = new Promise((resolve) => plugin.once('restarted', resolve))
    const started = Date.now()
    const inFlight = [call(plugin, 'hang', {}, 10_000), call(plugin, 'crash', {}, 10_000)]
    for (const pending of inFlight) await expect(pending).rejects.toMatchObject({ code: 'PLUGIN_UNAVAILABLE' })
    expect(Date.now() - started).toBeLessThan(2000)
    await restarted
    expect(plugin.state).toBe('running')
    expect(plugin.restarts).toBe(1)
    expect(plugin.pid).not.toBe(firstPid)
    expect(processAlive(firstPid)).toBe(false)
    await expect(call(plugin, 'none')).resolves.toMatchObject({ result: { $case: 'modify' } })
  })

  it('is given up after too many crashes in the window, and calls then fail with PLUGIN_FAILED', async () => {
    const { plugin } = await loadFaulty({ restart: { maxCrashes: 2, initialDelayMs: 10 } })
    await call(plugin, 'crash').catch(() => undefined)
    await new Promise((resolve) => plugin.once('restarted', resolve))
    await call(plugin, 'crash').catch(() => undefined)
    await waitFor(() => plugin.state === 'failed', 5000, 'state failed')
    await expect(call(plugin, 'none')).rejects.toMatchObject({ code: 'PLUGIN_FAILED' })
  })
})

describe('a plugin that hangs in a hook', () => {
  it('fails the call at its deadline while the channel keeps serving other calls', async () => {
    const { plugin } = await loadFaulty()
    const hung = call(plugin, 'hang', {}, 200)
    const others = await Promise.all([call(plugin, 'none'), call(plugin, 'none'), call(plugin, 'none')])
    expect(others.every((r) => r.result?.$case === 'modify')).toBe(true)
    await expect(hung).rejects.toMatchObject({ code: 'HOOK_DEADLINE_EXCEEDED' })
    await expect(call(plugin, 'none')).resolves.toMatchObject({ result: { $case: 'modify' } })
  })

  it('fails each hung call at its own deadline, whatever the order they were made in', async () => {
    const { plugin } = await loadFaulty()
    const started = performance.now()
    const failedAt = (deadlineMs: number) =>
      call(plugin, 'hang', {}, deadlineMs).then(
        () => Number.NaN,
        (error: { code: string }) => (error.code === 'HOOK_DEADLINE_EXCEEDED' ? performance.now() - started : Number.NaN),
      )
    const [slow, fast, middle] = await Promise.all([failedAt(600), failedAt(100), failedAt(300)])
    expect(fast).toBeGreaterThanOrEqual(95)
    expect(middle).toBeGreaterThanOrEqual(295)
    expect(slow).toBeGreaterThanOrEqual(595)
    expect(fast).toBeLessThan(middle)
    expect(middle).toBeLessThan(slow)
  })

  it('applies the failure policy: fail-open skips the plugin, fail-closed fails the request naming it', async () => {
    const { plugin } = await loadFaulty()
    const request = httpRequest({ 'x-fault': 'hang' })
    const open = new HookChain([{ plugin, failurePolicy: 'fail-open', deadlineMs: 100 }])
    await expect(open.runPreAuth('r1', request)).resolves.toMatchObject({ kind: 'continue', request: { headers: { 'x-fault': 'hang' } } })
    const closed = new HookChain([{ plugin, failurePolicy: 'fail-closed', deadlineMs: 100 }])
    await expect(closed.runPreAuth('r2', request)).rejects.toMatchObject({
      code: 'HOOK_DEADLINE_EXCEEDED',
      plugin: 'faulty',
      message: expect.stringContaining('plugin "faulty" failed in preAuth'),
    })
  })

  it('cancels the call when the caller aborts', async () => {
    const { plugin } = await loadFaulty()
    const controller = new AbortController()
    const pending = plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'hang' }) }, { deadlineMs: 10_000, signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({ code: 'HOOK_CANCELLED' })
  })
})

describe('a plugin that returns a malformed response', () => {
  it('fails that call with HOOK_INVALID_RESPONSE and keeps the channel usable', async () => {
    const { plugin } = await loadFaulty()
    await expect(call(plugin, 'malformed')).rejects.toMatchObject({ code: 'HOOK_INVALID_RESPONSE' })
    await expect(call(plugin, 'none')).resolves.toMatchObject({ result: { $case: 'modify' } })
  })

  it('rejects a unary answer without a result from a plugin that has no hook channel', async () => {
    const { plugin } = await loadFaulty({ config: { noHookChannel: true } })
    expect(plugin.description?.hookChannel).toBe(false)
    await expect(call(plugin, 'malformed')).rejects.toMatchObject({ code: 'HOOK_INVALID_RESPONSE' })
    await expect(call(plugin, 'none')).resolves.toMatchObject({ result: { $case: 'modify' } })
    await expect(call(plugin, 'hang', {}, 200)).rejects.toMatchObject({ code: 'HOOK_DEADLINE_EXCEEDED' })
  })

  it('reports a result the SDK could not encode with the plugin code HOOK_INVALID_RESULT', async () => {
    const { plugin } = await loadFaulty()
    await expect(call(plugin, 'invalid-result')).rejects.toMatchObject({ code: 'HOOK_INVALID_RESULT', message: expect.stringContaining('nonsense') })
    await expect(call(plugin, 'throw')).rejects.toMatchObject({ code: 'HOOK_FAILED', message: expect.stringContaining('plugin code threw') })
  })
})

describe('a plugin that floods stdout', () => {
  it('is drained without blocking the plugin, and excess lines are dropped and counted', async () => {
    const { plugin, lines } = await loadFaulty()
    await expect(call(plugin, 'flood', { 'x-flood-kb': '8192' }, 20_000)).resolves.toMatchObject({ result: { $case: 'pass' } })
    await expect(call(plugin, 'none')).resolves.toMatchObject({ result: { $case: 'modify' } })
    await waitFor(() => lines.some((line) => line.msg?.toString().includes('rate limit')), 5000, 'dropped-lines report')
    const forwarded = lines.filter((line) => line.msg === 'plugin output' && line.plugin === 'faulty')
    expect(forwarded.length).toBeGreaterThan(0)
    expect(forwarded.length).toBeLessThan(1000)
  })
})

describe('Service API scopes', () => {
  it('denies a call outside the granted scopes with SCOPE_DENIED, audits it and writes nothing', async () => {
    const { plugin, lines, host } = await loadFaulty({ scopes: [] })
    const result = await call(plugin, 'kv-set', { 'x-key': 'k', 'x-value': 'v' })
    expect(result.result?.$case).toBe('block')
    const body = result.result?.$case === 'block' ? JSON.parse(result.result.value.body.toString()) : {}
    expect(body).toMatchObject({ code: 'SCOPE_DENIED', grpcStatus: 7 /* PERMISSION_DENIED */, message: expect.stringContaining('kv.readwrite') })
    expect(lines).toContainEqual(expect.objectContaining({ audit: true, plugin: 'faulty', method: 'kvSet', requiredScope: 'kv.readwrite', msg: 'service API call denied' }))
    const stored = await host.serviceApi.kvGet({ key: 'k' }, { plugin: 'faulty', scopes: new Set(['kv.readwrite']) }, new AbortController().signal)
    expect(stored.found).toBe(false)
  })

  it('lets a plugin granted kv.readwrite write and read back its own namespace', async () => {
    const { plugin, host } = await loadFaulty({ scopes: ['kv.readwrite'] })
    await expect(call(plugin, 'kv-set', { 'x-key': 'k', 'x-value': 'v' })).resolves.toMatchObject({ result: { $case: 'pass' } })
    await expect(call(plugin, 'kv-get', { 'x-key': 'k' })).resolves.toMatchObject({ result: { $case: 'modify', value: { metadata: { value: 'v' } } } })
    const other = await host.serviceApi.kvGet({ key: 'k' }, { plugin: 'someone-else', scopes: new Set(['kv.readwrite']) }, new AbortController().signal)
    expect(other.found).toBe(false)
  })
})
