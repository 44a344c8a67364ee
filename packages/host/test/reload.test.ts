import { afterEach, describe, expect, it } from 'vitest'
import { HookChain, PluginHost, type ManagedPlugin, type PluginSpec } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest, processAlive, requestContext, waitFor } from './helpers.js'

let host: PluginHost | undefined
afterEach(async () => {
  await host?.shutdown()
  host = undefined
})

const faulty = (name: string, extra: Partial<PluginSpec> = {}): PluginSpec => ({
  name: 'faulty',
  source: fixture('faulty-plugin.mjs'),
  config: { name },
  ...extra,
})

async function load(spec: PluginSpec): Promise<ManagedPlugin> {
  host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
  return host.load(spec)
}

/** A pre-auth call that takes `delayMs` in the plugin and names the configuration that answered it. */
async function answeredBy(plugin: ManagedPlugin, delayMs = 0): Promise<string> {
  const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'slow', 'x-delay-ms': String(delayMs) }) }, { deadlineMs: 10_000 })
  if (result.result?.$case !== 'modify') throw new Error(`unexpected result ${result.result?.$case}`)
  return result.result.value.metadata.answeredBy!
}

describe('reloading one plugin', () => {
  it('switches to the new process with zero failed calls under concurrent load, keeping the same object', async () => {
    const plugin = await load(faulty('gen-0'))
    const pids = [plugin.pid!]
    let running = true
    const failures: string[] = []
    const answers: string[] = []
    // 16 callers, each call spending 20 ms in the plugin, so calls are in flight at every switch.
    const callers = Array.from({ length: 16 }, async () => {
      while (running) {
        await answeredBy(plugin, 20).then(
          (name) => void answers.push(name),
          (error: { code?: string }) => void failures.push(error.code ?? String(error)),
        )
      }
    })
    for (let generation = 1; generation <= 3; generation++) {
      await host!.reload('faulty', faulty(`gen-${generation}`))
      pids.push(plugin.pid!)
    }
    const reloadedAt = answers.length
    await waitFor(() => answers.length > reloadedAt + 16, 10_000, 'calls after the last reload')
    running = false
    await Promise.all(callers)

    expect(failures).toEqual([])
    expect(host!.get('faulty')).toBe(plugin)
    expect(plugin.state).toBe('running')
    expect(new Set(answers)).toEqual(new Set(['gen-0', 'gen-1', 'gen-2', 'gen-3']))
    expect(answers.slice(reloadedAt)).toEqual(answers.slice(reloadedAt).map(() => 'gen-3'))
    expect(plugin.spec.config).toEqual({ name: 'gen-3' })
    expect(new Set(pids).size).toBe(4)
    // Each old process finished its calls and was stopped before its reload resolved.
    for (const pid of pids.slice(0, -1)) expect(processAlive(pid)).toBe(false)
  })

  it('keeps a response stream that began before the switch on the old process until its end', async () => {
    // "hold" keeps every chunk of a stream and releases them at its end: only a process that saw the whole stream answers "abc".
    const plugin = await load(faulty('old', { config: { name: 'old', chunkMode: 'hold' } }))
    const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
    const stream = chain.chunkStream({ ...requestContext(), requestId: 'across-reload', streaming: true })
    expect((await stream.push(Buffer.from('a'))).toString()).toBe('')
    expect((await stream.push(Buffer.from('b'))).toString()).toBe('')
    const events: string[] = []
    const reloaded = plugin.reload(faulty('new', { config: { name: 'new', chunkMode: 'upper' } })).then(() => void events.push('reloaded'))
    await waitFor(() => (plugin.spec.config as { name: string }).name === 'new', 20_000, 'the switch to the new process')
    // A new stream goes to the new process, while the old one still holds the first.
    const fresh = chain.chunkStream({ ...requestContext(), requestId: 'after-reload', streaming: true })
    expect((await fresh.push(Buffer.from('x'))).toString()).toBe('X')
    await fresh.end()
    expect((await stream.push(Buffer.from('c'))).toString()).toBe('')
    events.push('stream ended')
    expect((await stream.end()).toString()).toBe('abc')
    await reloaded
    expect(events).toEqual(['stream ended', 'reloaded'])
  })

  it('stops the old process after drainTimeoutMs even if a call on it never ends', async () => {
    const plugin = await load(faulty('old'))
    const oldPid = plugin.pid!
    const hung = plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'hang' }) }, { deadlineMs: 60_000 }).catch((error: unknown) => error)
    const started = Date.now()
    await plugin.reload(faulty('new'), { drainTimeoutMs: 300 })
    expect(Date.now() - started).toBeLessThan(8000)
    await expect(hung).resolves.toMatchObject({ code: 'PLUGIN_UNAVAILABLE' })
    expect(processAlive(oldPid)).toBe(false)
    await expect(answeredBy(plugin)).resolves.toBe('new')
  })

  it('keeps the old process serving when the new one fails to start, and rejects with the reason', async () => {
    const plugin = await load(faulty('old'))
    const pid = plugin.pid
    await expect(plugin.reload(faulty('new', { config: { name: 'new', failInitialize: true } }))).rejects.toMatchObject({ code: 'PLUGIN_INITIALIZE_FAILED' })
    await expect(host!.reload('faulty', faulty('new', { source: 'file:///nonexistent/plugin' }))).rejects.toMatchObject({ code: 'PLUGIN_LAUNCH_FAILED' })
    expect(plugin.state).toBe('running')
    expect(plugin.pid).toBe(pid)
    expect(plugin.spec.config).toEqual({ name: 'old' })
    await expect(answeredBy(plugin)).resolves.toBe('old')
  })

  it('rejects a reload or restart of a plugin that is not loaded with PLUGIN_NOT_FOUND', async () => {
    await load(faulty('old'))
    await expect(host!.reload('nope', faulty('x'))).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' })
    await expect(host!.restart('nope')).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' })
  })

  it('upgrades side by side: a reload with another version of the plugin', async () => {
    host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    const plugin = await host.load({ name: 'versioned', source: fixture('versioned-v1.mjs') })
    expect(plugin.manifest?.version).toBe('1.0.0')
    await host.reload('versioned', { name: 'versioned', source: fixture('versioned-v2.mjs') })
    expect(plugin.manifest?.version).toBe('2.0.0')
    const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest() }, { deadlineMs: 5000 })
    expect(result.result).toMatchObject({ $case: 'modify', value: { metadata: { version: '2.0.0' } } })
  })
})

describe('restarting a plugin on demand', () => {
  it('restarts a plugin that was given up, with a fresh crash window', async () => {
    const plugin = await load(faulty('one', { restart: { maxCrashes: 2, initialDelayMs: 10 } }))
    const crash = () => plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'crash' }) }, { deadlineMs: 5000 }).catch(() => undefined)
    await crash()
    await new Promise((resolve) => plugin.once('restarted', resolve))
    await crash()
    await waitFor(() => plugin.state === 'failed', 5000, 'state failed')
    await host!.restart('faulty')
    expect(plugin.state).toBe('running')
    expect(plugin.restarts).toBe(2)
    await expect(answeredBy(plugin)).resolves.toBe('one')
    // With the window reset, one more crash is the first in it: restarted, not given up.
    const restarted = new Promise((resolve) => plugin.once('restarted', resolve))
    await crash()
    await restarted
    expect(plugin.state).toBe('running')
    await expect(answeredBy(plugin)).resolves.toBe('one')
  })

  it('restarts a running plugin side by side: a new process, the same object, a new generation', async () => {
    const plugin = await load(faulty('one'))
    const { pid, generation } = plugin
    const restarted = new Promise((resolve) => plugin.once('restarted', resolve))
    await plugin.restart()
    await restarted
    expect(plugin.pid).not.toBe(pid)
    expect(plugin.generation).toBe(generation + 1)
    expect(processAlive(pid!)).toBe(false)
    await expect(answeredBy(plugin)).resolves.toBe('one')
  })
})
