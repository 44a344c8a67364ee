import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'
import { capturingLogger, fixture, httpRequest, requestContext } from './helpers.js'

let host: PluginHost | undefined
afterEach(async () => {
  await host?.shutdown()
  host = undefined
})

/** The faulty fixture appending the request context it saw to every chunk ("context" mode). */
async function contextPlugin(config: Record<string, unknown> = {}): Promise<ManagedPlugin> {
  host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
  return host.load({ name: 'faulty', source: fixture('faulty-plugin.mjs'), config: { chunkMode: 'context', ...config }, restart: { initialDelayMs: 10 } })
}

/** What the fixture process counted: frames with chunks, chunks that arrived with a context, and the streams it was told broke off. */
async function chunkStats(plugin: ManagedPlugin): Promise<{ chunkFrames: number; chunksWithContext: number; aborted: string[] }> {
  const result = await plugin.callHook('preAuth', { requestId: 'stats', request: httpRequest({ 'x-fault': 'chunk-stats' }) }, { deadlineMs: 2000 })
  const metadata = result.result?.$case === 'modify' ? result.result.value.metadata : {}
  return {
    chunkFrames: Number(metadata.chunkFrames),
    chunksWithContext: Number(metadata.chunksWithContext),
    aborted: metadata.aborted ? metadata.aborted.split(',') : [],
  }
}

const streamContext = (requestId: string) => ({ ...requestContext(), requestId, streaming: true })
const seen = (requestId: string) => `<${requestId}|app-1|mock-gpt>`

describe('response streams over the hook channel', () => {
  it('sends a stream its context once, and the plugin sees the full context on every chunk', async () => {
    const plugin = await contextPlugin()
    const stream = new HookChain([{ plugin, failurePolicy: 'fail-closed' }]).chunkStream(streamContext('req-ctx'))
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => stream.push(Buffer.from(`chunk ${i}`))))
    expect(out[40]!.toString()).toBe(`chunk 40${seen('req-ctx')}`)
    expect(out.every((data, i) => data.toString() === `chunk ${i}${seen('req-ctx')}`)).toBe(true)
    expect((await stream.end()).toString()).toBe(seen('req-ctx'))
    expect(await chunkStats(plugin)).toMatchObject({ chunksWithContext: 1, aborted: [] })
  })

  it('sends the chunks pushed while one is in flight together, in one frame, in order', async () => {
    const plugin = await contextPlugin()
    const stream = new HookChain([{ plugin, failurePolicy: 'fail-closed' }]).chunkStream(streamContext('req-batch'))
    const pushed = [stream.push(Buffer.from('slow'))]
    for (let i = 1; i <= 20; i++) {
      // One chunk per event-loop turn, as they come off an upstream socket.
      await new Promise((resolve) => setImmediate(resolve))
      pushed.push(stream.push(Buffer.from(`chunk ${i}`)))
    }
    const out = await Promise.all(pushed)
    expect(out.map(String)).toEqual(['slow', ...Array.from({ length: 20 }, (_, i) => `chunk ${i + 1}`)].map((data) => `${data}${seen('req-batch')}`))
    await stream.end()
    expect(await chunkStats(plugin)).toMatchObject({ chunkFrames: 3, chunksWithContext: 1 })
  })

  it('sends the context again on the new channel when the plugin restarted mid-stream', async () => {
    const plugin = await contextPlugin()
    const stream = new HookChain([{ plugin, failurePolicy: 'fail-closed' }]).chunkStream(streamContext('req-restart'))
    for (let i = 0; i < 10; i++) expect((await stream.push(Buffer.from(`chunk ${i}`))).toString()).toBe(`chunk ${i}${seen('req-restart')}`)
    const restarted = new Promise((resolve) => plugin.once('restarted', resolve))
    await plugin.callHook('preAuth', { requestId: 'crash', request: httpRequest({ 'x-fault': 'crash' }) }, { deadlineMs: 5000 }).catch(() => undefined)
    await restarted
    for (let i = 10; i < 20; i++) expect((await stream.push(Buffer.from(`chunk ${i}`))).toString()).toBe(`chunk ${i}${seen('req-restart')}`)
    await stream.end()
    expect(await chunkStats(plugin)).toMatchObject({ chunksWithContext: 1, aborted: [] })
  })

  it('tells each plugin that saw a stream, once, when the stream broke off, and never after its end', async () => {
    const plugin = await contextPlugin()
    const chain = new HookChain([{ plugin }])
    const client = new AbortController()
    const gone = chain.chunkStream(streamContext('req-gone'), client.signal)
    await gone.push(Buffer.from('a'))
    await gone.push(Buffer.from('b'))
    const failed = chain.chunkStream(streamContext('req-failed'))
    await failed.push(Buffer.from('a'))
    const finished = chain.chunkStream(streamContext('req-finished'), client.signal)
    await finished.push(Buffer.from('a'))
    await finished.end()
    const unseen = chain.chunkStream(streamContext('req-unseen'), client.signal)

    client.abort()
    failed.abort()
    failed.abort()
    finished.abort()
    await expect(gone.push(Buffer.from('c'))).rejects.toMatchObject({ code: 'HOOK_CANCELLED' })
    await expect(unseen.push(Buffer.from('a'))).rejects.toMatchObject({ code: 'HOOK_CANCELLED' })
    // The notices are fire-and-forget: poll until both arrived, then check nothing else did.
    let stats = await chunkStats(plugin)
    for (let i = 0; i < 100 && stats.aborted.length < 2; i++) stats = await sleep(20).then(() => chunkStats(plugin))
    expect(stats.aborted.sort()).toEqual(['req-failed@1', 'req-gone@2'])
  })
})

describe('response streams over unary calls (a plugin without a hook channel)', () => {
  it('carry the full context on every chunk', async () => {
    const plugin = await contextPlugin({ noHookChannel: true })
    expect(plugin.description?.hookChannel).toBe(false)
    const stream = new HookChain([{ plugin, failurePolicy: 'fail-closed' }]).chunkStream(streamContext('req-unary'))
    for (let i = 0; i < 5; i++) expect((await stream.push(Buffer.from(`chunk ${i}`))).toString()).toBe(`chunk ${i}${seen('req-unary')}`)
    expect((await stream.end()).toString()).toBe(seen('req-unary'))
  })
})
