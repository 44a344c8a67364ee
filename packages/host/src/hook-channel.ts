import type { ClientDuplexStream } from '@grpc/grpc-js'
import { Deadlines, HOOK_FRAME_LIMIT, Outbox, PlugboardError, encodeHookFrames, pluginv1 as pb } from '@plugboard/proto'
import { hostError } from './errors.js'

type Body = NonNullable<pb.HookMessage['body']>
type Case = Body['$case']
type ValueOf<C extends Case> = Extract<Body, { $case: C }>['value']

/** Hook requests, by hook-channel case, and the result case each must be answered with. */
export const HOOK_RESULT_CASE = {
  preAuth: 'requestResult',
  auth: 'authResult',
  postAuth: 'requestResult',
  responseHeaders: 'headersResult',
  responseBody: 'bodyResult',
  responseChunk: 'chunkResult',
  appByCredential: 'authResult',
  userByCredential: 'authResult',
} as const satisfies Partial<Record<Case, Case>>

export type HookCase = keyof typeof HOOK_RESULT_CASE
export type HookRequest<H extends HookCase> = ValueOf<H>
export type HookResult<H extends HookCase> = ValueOf<(typeof HOOK_RESULT_CASE)[H]>

export interface HookCallOptions {
  /** Time the plugin has to answer; the call fails with HOOK_DEADLINE_EXCEEDED after it. */
  deadlineMs: number
  signal?: AbortSignal
}

interface Pending {
  hook: HookCase
  expected: Case
  resolve(value: unknown): void
  reject(error: Error): void
  deadlineMs: number
  signal?: AbortSignal
}

/**
 * The host's end of a plugin's hook channel: one bidirectional stream carrying
 * many concurrent hook calls, matched by id. Requests made together travel
 * in one frame: within a microtask round when the channel is idle, within an
 * event-loop turn while other calls are in flight. A call that passes its deadline, or whose signal
 * aborts, fails at once and the plugin is told to cancel it; the channel stays
 * usable for other calls. A request too large for a frame fails alone with
 * HOOK_MESSAGE_TOO_LARGE and is never sent (see `encodeHookFrames`). When the
 * stream ends, every pending call fails fast with PLUGIN_UNAVAILABLE and
 * `onBroken` is told, unless the host closed it. A response stream's context
 * goes with its first chunk only (see `#chunkOnWire`).
 *
 * The stream is written pre-encoded frames: open it with a serializer that
 * passes Buffers through (see PluginConnection).
 */
export class HookChannel {
  readonly #stream: ClientDuplexStream<Buffer, pb.HookFrame>
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  readonly #outbox = new Outbox<pb.HookMessage>(
    (messages) => this.#flush(messages),
    () => this.#pending.size,
  )
  /** Response streams whose context this channel sent and the plugin keeps, until their end-of-stream call. */
  readonly #openStreams = new Set<number>()
  /**
   * The pending calls of each caller's signal, which gets one abort listener per channel: a request's
   * hook calls (every chunk of a stream) share its signal, and adding and removing a listener per call
   * cost more than a Set entry. The listener stays until the signal is collected with its request.
   */
  readonly #bySignal = new WeakMap<AbortSignal, Set<number>>()
  /** One timer for every pending call's deadline (a timer per call cost more than the rest of a call's bookkeeping). */
  readonly #deadlines = new Deadlines<number>((id) => {
    const pending = this.#pending.get(id)
    if (pending) this.#abandon(id, hostError('HOOK_DEADLINE_EXCEEDED', `plugin "${this.pluginName}" did not answer ${pending.hook} within ${pending.deadlineMs} ms`))
  })
  #closedError: PlugboardError | undefined
  readonly #frameLimit: number

  constructor(
    stream: ClientDuplexStream<Buffer, pb.HookFrame>,
    private readonly pluginName: string,
    options: {
      /** Largest frame the plugin accepts. */
      frameLimit?: number
      /** The stream ended or failed without the host closing it. */
      onBroken?: (error: PlugboardError) => void
    } = {},
  ) {
    this.#stream = stream
    this.#frameLimit = options.frameLimit ?? HOOK_FRAME_LIMIT
    const broken = (error: PlugboardError) => {
      if (this.#closedError) return
      this.#close(error)
      options.onBroken?.(error)
    }
    stream.on('data', (frame: pb.HookFrame) => this.#receive(frame))
    stream.on('error', (error: Error) => broken(hostError('PLUGIN_UNAVAILABLE', `hook channel to plugin "${pluginName}" broke: ${error.message}`, error)))
    stream.on('end', () => broken(hostError('PLUGIN_UNAVAILABLE', `plugin "${pluginName}" closed its hook channel`)))
  }

  get inFlight(): number {
    return this.#pending.size
  }

  /** False once the stream ended, for whatever reason. */
  get open(): boolean {
    return this.#closedError === undefined
  }

  call<H extends HookCase>(hook: H, request: HookRequest<H>, options: HookCallOptions): Promise<HookResult<H>> {
    if (this.#closedError) return Promise.reject(this.#closedError)
    if (options.signal?.aborted) return Promise.reject(hostError('HOOK_CANCELLED', `${hook} call to plugin "${this.pluginName}" was cancelled`))
    const id = this.#nextId++
    return new Promise<HookResult<H>>((resolve, reject) => {
      const pending: Pending = {
        hook,
        expected: HOOK_RESULT_CASE[hook],
        resolve: resolve as (value: unknown) => void,
        reject,
        deadlineMs: options.deadlineMs,
      }
      this.#deadlines.add(id, options.deadlineMs)
      if (options.signal) {
        pending.signal = options.signal
        this.#callsOf(options.signal).add(id)
      }
      this.#pending.set(id, pending)
      const value = hook === 'responseChunk' ? this.#chunkOnWire(request as pb.ResponseChunkRequest) : request
      this.#send({ id, deadlineMs: options.deadlineMs, body: { $case: hook, value } as Body })
    })
  }

  /** Ends the stream; pending calls fail with `reason` (PLUGIN_UNAVAILABLE by default). Safe to call more than once. */
  close(reason: PlugboardError = hostError('PLUGIN_UNAVAILABLE', `hook channel to plugin "${this.pluginName}" was closed by the host`)): void {
    this.#close(reason)
    this.#stream.cancel()
  }

  /**
   * A stream's context goes with its first chunk on this channel only: the plugin's SDK keeps it
   * until the end of the stream and fills it in on the others. A new channel (after a plugin
   * restart) starts with no open streams, so the next chunk of each carries its context again.
   */
  #chunkOnWire(request: pb.ResponseChunkRequest): pb.ResponseChunkRequest {
    const { streamId } = request
    if (!streamId) return request
    const sent = this.#openStreams.has(streamId)
    if (request.endOfStream) this.#openStreams.delete(streamId)
    else if (!sent) this.#openStreams.add(streamId)
    return sent ? { ...request, context: undefined } : request
  }

  /** Calls from many requests and stream chunks queued in one event-loop turn share a frame (see Outbox). */
  #send(message: pb.HookMessage): void {
    this.#outbox.push(message)
  }

  #flush(messages: pb.HookMessage[]): void {
    if (this.#closedError) return
    const { frames, tooLarge, unencodable } = encodeHookFrames(messages, this.#frameLimit)
    for (const frame of frames) this.#stream.write(frame)
    for (const message of tooLarge) {
      this.#notSent(message, 'HOOK_MESSAGE_TOO_LARGE', `is larger than the hook channel's ${this.#frameLimit}-byte limit; it was not sent`)
    }
    for (const { message, error } of unencodable) this.#notSent(message, 'HOOK_FAILED', `could not be encoded (${error.message}); it was not sent`)
  }

  /** A request that could not be sent fails alone; the plugin never saw it, so it needs no cancel. */
  #notSent(message: pb.HookMessage, code: 'HOOK_MESSAGE_TOO_LARGE' | 'HOOK_FAILED', why: string): void {
    const body = message.body!
    // The plugin did not get this chunk's context: the stream's next chunk must carry it.
    if (body.$case === 'responseChunk') this.#openStreams.delete(body.value.streamId)
    const pending = this.#settle(message.id)
    pending?.reject(hostError(code, `${pending.hook} request to plugin "${this.pluginName}" ${why}`))
  }

  #callsOf(signal: AbortSignal): Set<number> {
    let calls = this.#bySignal.get(signal)
    if (!calls) {
      const ids = (calls = new Set())
      this.#bySignal.set(signal, ids)
      signal.addEventListener(
        'abort',
        () => {
          for (const id of ids) this.#abandon(id, hostError('HOOK_CANCELLED', `${this.#pending.get(id)!.hook} call to plugin "${this.pluginName}" was cancelled`))
        },
        { once: true },
      )
    }
    return calls
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id)
    if (!pending) return undefined
    this.#pending.delete(id)
    this.#deadlines.delete(id, pending.deadlineMs)
    if (pending.signal) this.#bySignal.get(pending.signal)!.delete(id)
    return pending
  }

  #abandon(id: number, error: PlugboardError): void {
    const pending = this.#settle(id)
    if (!pending) return
    pending.reject(error)
    if (!this.#closedError) this.#send({ id, deadlineMs: 0, body: { $case: 'cancel', value: {} } })
  }

  #receive(frame: pb.HookFrame): void {
    for (const message of frame.messages) {
      const pending = this.#settle(message.id)
      if (!pending) continue
      const body = message.body
      if (body?.$case === 'error') {
        pending.reject(new PlugboardError(body.value.code || 'HOOK_FAILED', `plugin "${this.pluginName}": ${body.value.message}`))
      } else if (body?.$case !== pending.expected) {
        pending.reject(
          hostError('HOOK_INVALID_RESPONSE', `plugin "${this.pluginName}" answered with "${body?.$case ?? 'nothing'}" where "${pending.expected}" was expected`),
        )
      } else {
        pending.resolve(body.value)
      }
    }
  }

  #close(error: PlugboardError): void {
    if (this.#closedError) return
    this.#closedError = error
    for (const id of [...this.#pending.keys()]) this.#settle(id)!.reject(error)
    this.#deadlines.clear()
  }
}
