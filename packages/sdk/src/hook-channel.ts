import type { ServerDuplexStream } from '@grpc/grpc-js'
import { HOOK_FRAME_LIMIT, PlugboardError, encodeHookFrames, pluginv1 as pb, whenChannelCloses } from '@plugboard/proto'
import { CallControl } from './call-control.js'
import { CHANNEL_HOOKS, requestIdOf, toHookError, type CallInfo, type PluginHandlers } from './handlers.js'

type RequestCase = keyof typeof CHANNEL_HOOKS
type ResultBody = NonNullable<pb.HookMessage['body']>
type Incoming = { message: pb.HookMessage; body: ResultBody }

/**
 * The plugin's end of the hook channel: runs each incoming hook call
 * concurrently (a stream's chunks one after another), aborts it on cancel or
 * deadline, and sends results back in batches: while other calls are still to
 * be answered, results wait for the end of the event-loop turn and share a frame.
 * Frames are written encoded (the stream's serializer passes them through) and
 * within the host's message limit; a result too large for any frame (or one
 * protobuf cannot encode) is not sent, and its call gets a HOOK_MESSAGE_TOO_LARGE
 * (HOOK_INVALID_RESULT) error instead, so that one call fails and the channel
 * keeps working.
 */
export function serveHookChannel(stream: ServerDuplexStream<pb.HookFrame, Buffer>, handlers: PluginHandlers): void {
  const inFlight = new Map<number, CallControl>()
  // Chunks of one stream run one after another, in arrival order, so a stateful chunk hook sees them in
  // sequence: per stream with a chunk running, the chunks waiting behind it.
  const streams = new Map<number | string, Incoming[]>()
  // The host sends a stream's context with its first chunk on this channel only; kept until the stream's end.
  const contexts = new Map<number, pb.RequestContext>()
  let outgoing: pb.HookMessage[] = []
  let flushScheduled = false
  /** Calls received and not yet answered, including chunks waiting behind earlier ones of their stream. */
  let unanswered = 0

  const flush = () => {
    flushScheduled = false
    const messages = outgoing
    outgoing = []
    if (stream.destroyed || stream.writableEnded) return
    const { frames, tooLarge, unencodable } = encodeHookFrames(messages)
    for (const frame of frames) stream.write(frame)
    const fail = (id: number, code: string, message: string) => send({ id, deadlineMs: 0, body: { $case: 'error', value: { code, message } } })
    for (const { id, body } of tooLarge) {
      fail(id, 'HOOK_MESSAGE_TOO_LARGE', `the plugin's ${body?.$case ?? 'result'} is larger than the hook channel's ${HOOK_FRAME_LIMIT}-byte limit; it was not sent`)
    }
    for (const { message, error } of unencodable) fail(message.id, 'HOOK_INVALID_RESULT', `the plugin's result could not be encoded: ${error.message}`)
  }
  const send = (message: pb.HookMessage) => {
    outgoing.push(message)
    if (!flushScheduled) {
      flushScheduled = true
      // With other calls still to answer (a stream's next chunks run right after this one), wait for the
      // end of the event-loop turn so their results share the frame: each frame costs far more than a message.
      ;(unanswered > 1 ? setImmediate : queueMicrotask)(flush)
    }
  }

  const run = async (message: pb.HookMessage, body: ResultBody) => {
    const route = CHANNEL_HOOKS[body.$case as RequestCase]
    const control = new CallControl(body.value, message.deadlineMs)
    inFlight.set(message.id, control)
    try {
      if (!route) throw new PlugboardError('HOOK_UNKNOWN', `hook channel message "${body.$case}" is not a hook request`)
      const handler = handlers[route.handler] as (request: unknown, call: CallInfo) => Promise<ResultBody['value']>
      const value = await handler(body.value, control)
      if (!control.cancelled) send({ id: message.id, deadlineMs: 0, body: { $case: route.result, value } as ResultBody })
    } catch (error) {
      if (!control.cancelled) send({ id: message.id, deadlineMs: 0, body: { $case: 'error', value: toHookError(error) } })
    } finally {
      control.done()
      inFlight.delete(message.id)
      unanswered--
    }
  }

  const runStream = async (key: number | string, first: Incoming) => {
    const waiting: Incoming[] = []
    streams.set(key, waiting)
    for (let next: Incoming | undefined = first; next; next = waiting.shift()) await run(next.message, next.body)
    streams.delete(key)
  }

  stream.on('data', (frame: pb.HookFrame) => {
    for (const message of frame.messages) {
      const body = message.body
      if (!body) continue
      if (body.$case === 'cancel') {
        inFlight.get(message.id)?.cancel()
        continue
      }
      unanswered++
      if (body.$case === 'responseChunk') {
        const chunk = body.value
        if (chunk.streamId) {
          if (chunk.context) contexts.set(chunk.streamId, chunk.context)
          else chunk.context = contexts.get(chunk.streamId)
          if (chunk.endOfStream) contexts.delete(chunk.streamId)
        }
        const key = chunk.streamId || requestIdOf(chunk)
        const waiting = streams.get(key)
        if (waiting) waiting.push({ message, body })
        else void runStream(key, { message, body })
      } else {
        void run(message, body)
      }
    }
  })
  whenChannelCloses(stream, () => {
    for (const control of inFlight.values()) control.cancel()
    inFlight.clear()
  })
}
