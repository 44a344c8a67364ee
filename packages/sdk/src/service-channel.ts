import { status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js'
import {
  CHANNEL_FRAME_LIMIT,
  Outbox,
  PlugboardError,
  encodeServiceFrames,
  fromGrpcError,
  serviceMethodCodec,
  type servicev1,
  type UnaryServiceMethod,
} from '@plugboard/proto'

/** A unary Service API call made another way: its own RPC. */
export type UnaryServiceCall = (method: UnaryServiceMethod, request: unknown, signal?: AbortSignal) => Promise<unknown>

interface Pending {
  method: UnaryServiceMethod
  request: unknown
  resolve(value: unknown): void
  reject(error: Error): void
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * The plugin's end of the Service API channel: one bidirectional stream
 * carrying many concurrent unary calls, matched by id, instead of an HTTP/2
 * stream per call. Calls made together travel in one frame: within a microtask
 * round when the channel is idle, within an event-loop turn while other calls
 * are in flight. A call whose signal aborts rejects at once with CALL_CANCELLED
 * and the host is told to stop it. A request too large for a frame fails alone
 * with SERVICE_MESSAGE_TOO_LARGE and is never sent.
 *
 * A host without the channel (older than it) answers UNIMPLEMENTED: the calls
 * waiting on it are made with `unary` instead, as if the channel had never been
 * tried. Any other end of the stream fails the calls in flight on it (the host may
 * have run them, so they are not retried) with the error's code. Either way
 * `onClosed` is told, so the transport can use unary calls for a while and open
 * a new channel later.
 *
 * The stream is written pre-encoded frames (see `ServiceApiService`).
 */
export class ServiceChannel {
  readonly #stream: ClientDuplexStream<Buffer, servicev1.ServiceFrame>
  readonly #unary: UnaryServiceCall
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  readonly #outbox = new Outbox<servicev1.ServiceMessage>(
    (messages) => this.#flush(messages),
    () => this.#pending.size,
  )
  #closed = false

  constructor(
    stream: ClientDuplexStream<Buffer, servicev1.ServiceFrame>,
    options: { unary: UnaryServiceCall; onClosed: (why: { unimplemented: boolean }) => void },
  ) {
    this.#stream = stream
    this.#unary = options.unary
    const closed = (error: PlugboardError | 'unimplemented') => {
      if (this.#closed) return
      this.#closed = true
      const pending = [...this.#pending.values()]
      for (const id of [...this.#pending.keys()]) this.#settle(id)
      for (const call of pending) {
        if (error === 'unimplemented') this.#unary(call.method, call.request, call.signal).then(call.resolve, call.reject)
        else call.reject(error)
      }
      options.onClosed({ unimplemented: error === 'unimplemented' })
    }
    stream.on('data', (frame: servicev1.ServiceFrame) => this.#receive(frame))
    stream.on('error', (error: Error & { code?: number }) =>
      closed(error.code === GrpcStatus.UNIMPLEMENTED ? 'unimplemented' : fromGrpcError(error, 'SERVICE_CALL_FAILED')),
    )
    stream.on('end', () => closed(new PlugboardError('SERVICE_CALL_FAILED', 'the host closed the Service API channel while the call was in flight; retry it')))
  }

  /** False once the stream ended, for whatever reason. */
  get open(): boolean {
    return !this.#closed
  }

  call(method: UnaryServiceMethod, request: unknown, signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(new PlugboardError('CALL_CANCELLED', `${method} was cancelled before it started`, { cause: signal.reason }))
    let body: Buffer
    try {
      body = serviceMethodCodec(method).requestSerialize(request)
    } catch (error) {
      return Promise.reject(new PlugboardError('SERVICE_CALL_FAILED', `the ${method} request could not be encoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error }))
    }
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const pending: Pending = { method, request, resolve, reject }
      if (signal) {
        pending.signal = signal
        pending.onAbort = () => {
          if (!this.#settle(id)) return
          reject(new PlugboardError('CALL_CANCELLED', `${method} was cancelled`, { cause: signal.reason }))
          if (!this.#closed) this.#send({ id, method: '', body: Buffer.alloc(0), cancel: true })
        }
        signal.addEventListener('abort', pending.onAbort, { once: true })
      }
      this.#pending.set(id, pending)
      this.#send({ id, method, body, cancel: false })
    })
  }

  /** Ends the stream; calls in flight fail with SERVICE_CALL_FAILED. */
  close(): void {
    this.#stream.cancel()
  }

  #send(message: servicev1.ServiceMessage): void {
    this.#outbox.push(message)
  }

  #flush(messages: servicev1.ServiceMessage[]): void {
    if (this.#closed) return
    const { frames, tooLarge } = encodeServiceFrames(messages)
    for (const frame of frames) this.#stream.write(frame)
    for (const { id, method } of tooLarge) {
      this.#settle(id)?.reject(
        new PlugboardError('SERVICE_MESSAGE_TOO_LARGE', `the ${method} request is larger than the Service API channel's ${CHANNEL_FRAME_LIMIT}-byte frame limit; it was not sent`),
      )
    }
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id)
    if (!pending) return undefined
    this.#pending.delete(id)
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort)
    return pending
  }

  #receive(frame: servicev1.ServiceFrame): void {
    for (const { id, body, error } of frame.messages) {
      const pending = this.#settle(id)
      if (!pending) continue
      if (error) {
        // As a unary call's error is: the code rebuilt, the gRPC failure (its status) as the cause.
        const cause = Object.assign(new Error(error.message), { code: error.grpcStatus, details: error.message })
        pending.reject(new PlugboardError(error.code || 'SERVICE_CALL_FAILED', error.message, { cause }))
        continue
      }
      let response: unknown
      try {
        response = serviceMethodCodec(pending.method).responseDeserialize(body)
      } catch (cause) {
        pending.reject(new PlugboardError('SERVICE_INVALID_RESPONSE', `the host's ${pending.method} response does not decode`, { cause }))
        continue
      }
      pending.resolve(response)
    }
  }
}
