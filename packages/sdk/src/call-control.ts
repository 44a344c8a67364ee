import { PlugboardError } from '@plugboard/proto'
import { requestIdOf, type CallInfo } from './handlers.js'

/**
 * Cancellation of one incoming call, with its deadline, and the CallInfo its
 * handler gets. The AbortSignal is made only when plugin code asks for it:
 * most hooks never do, and building signals (AbortSignal.any/timeout) per call
 * cost more than the hook itself on the hot path.
 */
export class CallControl implements CallInfo {
  #controller: AbortController | undefined
  #reason: unknown
  #timer: NodeJS.Timeout | undefined
  /** True once the host cancelled the call (not on deadline): its result is no longer wanted. */
  cancelled = false
  /** The request id the call's request carries; "" when it has none. */
  readonly requestId: string

  constructor(request: unknown, deadlineMs: number) {
    this.requestId = requestIdOf(request)
    if (deadlineMs > 0) {
      this.#timer = setTimeout(
        () => this.#abort(new PlugboardError('HOOK_DEADLINE_EXCEEDED', `the host's ${deadlineMs} ms deadline for this call passed`)),
        deadlineMs,
      )
    }
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      if (this.#reason !== undefined) this.#controller.abort(this.#reason)
    }
    return this.#controller.signal
  }

  /** The host cancelled the call. */
  cancel(): void {
    this.cancelled = true
    this.#abort(new PlugboardError('HOOK_CANCELLED', 'the host cancelled this call'))
  }

  /** The call finished: stop its deadline timer. */
  done(): void {
    clearTimeout(this.#timer)
  }

  #abort(reason: unknown): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    this.#controller?.abort(reason)
  }
}
