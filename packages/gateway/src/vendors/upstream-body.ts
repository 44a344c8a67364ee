import type { Dispatcher } from 'undici'
import { GatewayError } from '../errors.js'

/** Chunks buffered for a slow reader before the upstream socket is paused. */
const HIGH_WATER_CHUNKS = 64

/**
 * An upstream response body fed by an undici dispatch handler: read it whole
 * (`bytes`, `text`, `json`) or chunk by chunk (`for await`), once. Undici's
 * `request()` wraps every body in a Node Readable stream, which costs more CPU
 * per request than the rest of the gateway's proxying; this is the little of it
 * the gateway uses, with backpressure (the socket pauses while a reader lags).
 */
export class UpstreamBody implements AsyncIterable<Buffer> {
  readonly #chunks: Buffer[] = []
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined
  #consumed = false
  #controller: Dispatcher.DispatchController | undefined

  /** Called by the dispatch handler. */
  attach(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    if (this.#chunks.length >= HIGH_WATER_CHUNKS && this.#wake === undefined) this.#controller?.pause()
    this.#notify()
  }

  end(): void {
    this.#ended = true
    this.#notify()
  }

  fail(error: Error): void {
    this.#error ??= error
    this.#notify()
  }

  /** Gives the body up unread: the request is aborted, so its connection is not left waiting. */
  cancel(): void {
    if (!this.#ended && !this.#error) this.#controller?.abort(new Error('upstream body not wanted'))
  }

  /**
   * The whole body. Past `maxBytes` the request is aborted and
   * UPSTREAM_RESPONSE_TOO_LARGE thrown: an upstream cannot make the gateway buffer without bound.
   */
  async bytes(maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
    const parts: Buffer[] = []
    let size = 0
    for await (const chunk of this) {
      size += chunk.length
      if (size > maxBytes) throw new GatewayError('UPSTREAM_RESPONSE_TOO_LARGE', `the LLM's response exceeds the limit of ${maxBytes} bytes`)
      parts.push(chunk)
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)
  }

  async text(maxBytes?: number): Promise<string> {
    return (await this.bytes(maxBytes)).toString('utf8')
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#consumed) throw new Error('an upstream body can be read only once')
    this.#consumed = true
    try {
      for (;;) {
        if (this.#chunks.length > 0) {
          const chunks = this.#chunks.splice(0)
          if (this.#controller?.paused) this.#controller.resume()
          yield* chunks
          continue
        }
        if (this.#error) throw this.#error
        if (this.#ended) return
        await new Promise<void>((resolve) => (this.#wake = resolve))
      }
    } finally {
      // A reader that stops early (break, throw) must not leave the request hanging.
      this.cancel()
    }
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
