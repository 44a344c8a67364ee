import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest, waitFor } from './helpers.js'

/** Over the hook channel's 64 MB limit. */
const OVERSIZED = 65 * 1024 * 1024

let host: PluginHost
beforeAll(() => {
  host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
})
afterAll(() => host.shutdown())

let loaded = 0
const load = (config: Record<string, unknown> = {}) =>
  host.load({ name: `faulty-${++loaded}`, source: fixture('faulty-plugin.mjs'), config: { name: 'faulty', ...config }, restart: { initialDelayMs: 10 } })

const call = (plugin: ManagedPlugin, headers: Record<string, string>, body?: Buffer) =>
  plugin.callHook('preAuth', { requestId: 'r', request: { ...httpRequest(headers), ...(body ? { body } : {}) } }, { deadlineMs: 20_000 })
const normal = (plugin: ManagedPlugin) => call(plugin, { 'x-order': '' })

describe('a message larger than the hook channel limit', () => {
  it('fails only the call whose result is too large, and the channel keeps serving', async () => {
    const plugin = await load()
    const pid = plugin.pid
    await expect(call(plugin, { 'x-fault': 'oversized' })).rejects.toMatchObject({ code: 'HOOK_MESSAGE_TOO_LARGE' })
    await expect(normal(plugin)).resolves.toMatchObject({ result: { $case: 'modify', value: { setHeaders: { 'x-order': 'faulty,' } } } })
    expect(plugin.pid).toBe(pid)
    expect(plugin.available).toBe(true)
  })

  it('fails only the call whose request is too large, without sending it, while other calls in the same turn go through', async () => {
    const plugin = await load()
    const [big, small] = await Promise.allSettled([call(plugin, {}, Buffer.alloc(OVERSIZED)), normal(plugin)])
    expect(big).toMatchObject({ status: 'rejected', reason: { code: 'HOOK_MESSAGE_TOO_LARGE' } })
    expect(small).toMatchObject({ status: 'fulfilled' })
    await expect(normal(plugin)).resolves.toMatchObject({ result: { $case: 'modify' } })
  })

  it('is handled by the binding failure policy, and does not open the breaker', async () => {
    const plugin = await load()
    // Generous deadlines: encoding 65 MB takes a while on a loaded machine, and a deadline would count against the breaker.
    const open = new HookChain([{ plugin, failurePolicy: 'fail-open', deadlineMs: 20_000, breaker: { failureThreshold: 2 } }])
    for (let i = 0; i < 3; i++) await expect(open.runPreAuth('r', httpRequest({ 'x-fault': 'oversized' }))).resolves.toMatchObject({ kind: 'continue' })
    expect(open.breakerStates()[plugin.name]).toBe('closed')
    const closed = new HookChain([{ plugin, failurePolicy: 'fail-closed', deadlineMs: 20_000 }])
    await expect(closed.runPreAuth('r', httpRequest({ 'x-fault': 'oversized' }))).rejects.toMatchObject({ code: 'HOOK_MESSAGE_TOO_LARGE', plugin: plugin.name })
    await expect(closed.runPreAuth('r', httpRequest({ 'x-order': '' }))).resolves.toMatchObject({ kind: 'continue' })
  })

  it('fails that one unary call for a plugin without a hook channel', async () => {
    const plugin = await load({ noHookChannel: true })
    await expect(call(plugin, {}, Buffer.alloc(OVERSIZED))).rejects.toMatchObject({ code: 'HOOK_MESSAGE_TOO_LARGE' })
    await expect(call(plugin, { 'x-fault': 'oversized' })).rejects.toMatchObject({ code: 'HOOK_MESSAGE_TOO_LARGE' })
    await expect(normal(plugin)).resolves.toMatchObject({ result: { $case: 'modify' } })
  })
})

describe('a hook channel that breaks', () => {
  it('is reopened at once: the call on it fails, the next one is served by the same process', async () => {
    const plugin = await load()
    const pid = plugin.pid
    await expect(call(plugin, { 'x-fault': 'break-channel' })).rejects.toMatchObject({ code: 'PLUGIN_UNAVAILABLE' })
    await waitFor(() => plugin.available, 5000, 'plugin available')
    await expect(normal(plugin)).resolves.toMatchObject({ result: { $case: 'modify' } })
    expect(plugin.pid).toBe(pid)
  })

  it('restarts the plugin when the channel keeps breaking, and reports it unavailable meanwhile', async () => {
    const plugin = await load()
    const pid = plugin.pid
    const restarted = new Promise((resolve) => plugin.once('restarted', resolve))
    for (let i = 0; i < 3; i++) {
      await waitFor(() => plugin.available, 5000, 'plugin available')
      await call(plugin, { 'x-fault': 'break-channel' }).catch(() => undefined)
    }
    expect(plugin.available).toBe(false)
    await restarted
    expect(plugin.available).toBe(true)
    expect(plugin.pid).not.toBe(pid)
    await expect(normal(plugin)).resolves.toMatchObject({ result: { $case: 'modify' } })
  })
})
