import { EventEmitter } from 'node:events'
import type { ServerDuplexStream } from '@grpc/grpc-js'
import { pluginv1 as pb } from '@plugboard/proto'
import { describe, expect, it } from 'vitest'
import type { PluginContext } from './context.js'
import { createPluginHandlers } from './handlers.js'
import { serveHookChannel } from './hook-channel.js'
import { BasePlugin } from './plugin.js'
import type { HookContext } from './context.js'
import type { ResponseChunkEvent, ResponseChunkResult } from './types.js'

/** Records every chunk event it sees and upper-cases the data. */
class ChunkRecorder extends BasePlugin {
  readonly manifest = { id: 'chunk-recorder', name: 'Chunk recorder', version: '0.0.0' }
  readonly seen: ResponseChunkEvent[] = []
  onResponseChunk(event: ResponseChunkEvent): ResponseChunkResult {
    this.seen.push(event)
    return { action: 'replace', data: event.data.toString().toUpperCase() }
  }
}

/** The plugin's end of a hook channel, driven by hand: `receive` frames as the host would send them, read `written`. */
function channel(plugin: BasePlugin) {
  const stream = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableEnded: false,
    written: [] as pb.HookFrame[],
    write(frame: Buffer) {
      stream.written.push(pb.HookFrame.decode(frame))
      return true
    },
    end() {
      stream.writableEnded = true
    },
  })
  const context = { runtime: 'gateway', config: null, pluginName: 'test', services: {}, log: {} } as unknown as PluginContext
  serveHookChannel(stream as unknown as ServerDuplexStream<pb.HookFrame, Buffer>, createPluginHandlers(plugin, () => context))
  return {
    written: stream.written,
    receive: (messages: pb.HookMessage[]) => void stream.emit('data', { messages }),
    /** Resolves after the channel's pending flushes (a microtask or the end of the event-loop turn). */
    settled: () => new Promise((resolve) => setTimeout(resolve, 10)),
  }
}

const chunkMessage = (id: number, request: Partial<pb.ResponseChunkRequest>): pb.HookMessage => ({
  id,
  deadlineMs: 1000,
  body: { $case: 'responseChunk', value: { streamId: 0, index: id - 1, data: Buffer.from(`chunk ${id}`), endOfStream: false, aborted: false, ...request } },
})

const context = { requestId: 'req-1', llm: 'mock', model: 'mock-gpt', streaming: true, metadata: {}, api: 'chat.completions' }

describe('the plugin end of the hook channel', () => {
  it('answers the chunks of one frame, which run one after another, in one frame, in order', async () => {
    const plugin = new ChunkRecorder()
    const { written, receive, settled } = channel(plugin)
    receive(Array.from({ length: 20 }, (_, i) => chunkMessage(i + 1, { context })))
    await settled()
    expect(written).toHaveLength(1)
    expect(written[0]!.messages.map((m) => m.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(written[0]!.messages.map((m) => m.body?.$case === 'chunkResult' && m.body.value.result?.$case === 'replace' && m.body.value.result.value.data.toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `CHUNK ${i + 1}`),
    )
    expect(plugin.seen.map((event) => event.index)).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it("fills in a stream's context, sent with its first chunk only, on every later chunk until its end", async () => {
    const plugin = new ChunkRecorder()
    const { written, receive, settled } = channel(plugin)
    const other = { ...context, requestId: 'req-2', metadata: { tenant: 'b' } }
    receive([chunkMessage(1, { streamId: 7, context }), chunkMessage(2, { streamId: 8, context: other })])
    for (let id = 3; id <= 41; id++) receive([chunkMessage(id, { streamId: id % 2 ? 7 : 8 })])
    receive([chunkMessage(42, { streamId: 7, endOfStream: true, aborted: true, data: Buffer.alloc(0) })])
    await settled()
    const ofStream7 = plugin.seen.filter((event) => event.context.requestId === 'req-1')
    const ofStream8 = plugin.seen.filter((event) => event.context.requestId === 'req-2')
    expect(ofStream7.map((event) => event.index)).toEqual([0, ...Array.from({ length: 20 }, (_, i) => 2 * i + 2), 41])
    expect(ofStream8).toHaveLength(20)
    expect(ofStream7.find((event) => event.index === 40)).toEqual({ context, index: 40, data: Buffer.from('chunk 41'), endOfStream: false, aborted: false })
    expect(ofStream8.every((event) => event.context === other)).toBe(true)
    expect(ofStream7.at(-1)).toMatchObject({ endOfStream: true, aborted: true })

    // Stream 7 ended: its context is gone, and a chunk that names it without one is refused.
    receive([chunkMessage(43, { streamId: 7 })])
    await settled()
    expect(written.flatMap((frame) => frame.messages).at(-1)).toMatchObject({ id: 43, body: { $case: 'error', value: { code: 'HOOK_STREAM_UNKNOWN' } } })
    expect(plugin.seen).toHaveLength(42)
  })

  it('keeps contexts per channel: another channel knows none of them', async () => {
    const plugin = new ChunkRecorder()
    channel(plugin).receive([chunkMessage(1, { streamId: 7, context })])
    const second = channel(plugin)
    second.receive([chunkMessage(1, { streamId: 7 })])
    await second.settled()
    expect(second.written[0]!.messages[0]).toMatchObject({ body: { $case: 'error', value: { code: 'HOOK_STREAM_UNKNOWN' } } })
  })

  it('answers a result too large for the hook channel with HOOK_MESSAGE_TOO_LARGE, and the results beside it as usual', async () => {
    class Inflater extends BasePlugin {
      readonly manifest = { id: 'inflater', name: 'Inflater', version: '0.0.0' }
      onResponseChunk(event: ResponseChunkEvent): ResponseChunkResult {
        // More than the 64 MB the host accepts in one message.
        return { action: 'replace', data: event.data.toString() === 'big' ? Buffer.alloc(65 * 1024 * 1024) : event.data.toString().toUpperCase() }
      }
    }
    const { written, receive, settled } = channel(new Inflater())
    receive([chunkMessage(1, { streamId: 1, context, data: Buffer.from('big') }), chunkMessage(2, { streamId: 2, context, data: Buffer.from('small') })])
    await settled()
    const answers = written.flatMap((frame) => frame.messages)
    expect(answers.find((m) => m.id === 1)).toMatchObject({ body: { $case: 'error', value: { code: 'HOOK_MESSAGE_TOO_LARGE' } } })
    expect(answers.find((m) => m.id === 2)).toMatchObject({ body: { $case: 'chunkResult', value: { result: { $case: 'replace', value: { data: Buffer.from('SMALL') } } } } })
  })

  it("aborts each call's signal at its own deadline, and never one that finished in time", async () => {
    const aborted: { index: number; code: string; afterMs: number }[] = []
    const started = performance.now()
    class Waiter extends BasePlugin {
      readonly manifest = { id: 'waiter', name: 'Waiter', version: '0.0.0' }
      async onResponseChunk(event: ResponseChunkEvent, ctx: HookContext): Promise<ResponseChunkResult> {
        if (event.index === 0) return { action: 'pass' }
        // Waits for its signal: the deadline is the only thing that ends it.
        const reason = await new Promise<{ code: string }>((resolve) => ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason as { code: string })))
        aborted.push({ index: event.index, code: reason.code, afterMs: performance.now() - started })
        return { action: 'pass' }
      }
    }
    const { receive, settled } = channel(new Waiter())
    const message = (id: number, streamId: number, deadlineMs: number): pb.HookMessage => ({ ...chunkMessage(id, { streamId, context, index: id === 1 ? 0 : 1 }), deadlineMs })
    receive([message(1, 1, 30), message(2, 2, 150), message(3, 3, 60)])
    await new Promise((resolve) => setTimeout(resolve, 500))
    await settled()
    expect(aborted.map(({ index, code }) => ({ index, code }))).toEqual([
      { index: 1, code: 'HOOK_DEADLINE_EXCEEDED' },
      { index: 1, code: 'HOOK_DEADLINE_EXCEEDED' },
    ])
    expect(aborted[0]!.afterMs).toBeGreaterThanOrEqual(55)
    expect(aborted[1]!.afterMs).toBeGreaterThanOrEqual(145)
  })
})
