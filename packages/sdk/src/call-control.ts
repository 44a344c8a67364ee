import { Deadlines, PlugboardError } from '@plugboard/proto'
import { requestIdOf, type CallInfo } from './handlers.js'

/**
 * Cancellation of one incoming call, with its deadline, and the CallInfo its
 * handler gets. The AbortSignal is made only when plugin code asks for it:
 * most hooks never do, and building signals (AbortSignal.any/timeout) per call
 * cost more than the hook itself on the hot path.
 */
export class CallControl implements CallInfo {
  /** Every call's deadline in this process, on one timer (a timer per call cost more than the rest of a call's bookkeeping). */
  static readonly #deadlines = new Deadlines<CallControl>((control) => control.#expire())

  #controller: AbortController | undefined
  #reason: unknown
  readonly #deadlineMs: number
  /** True once the host cancelled the call (not on deadline): its result is no longer wanted. */
  cancelled = false
  /** The request id the call's request carries; "" when it has none. */
  readonly requestId: string

  constructor(request: unknown, deadlineMs: number) {
    this.requestId = requestIdOf(request)
    this.#deadlineMs = deadlineMs
    if (deadlineMs > 0) CallControl.#deadlines.add(this, deadlineMs)
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

  /** The call finished: forget its deadline. */
  done(): void {
    if (this.#deadlineMs > 0) CallControl.#deadlines.delete(this, this.#deadlineMs)
  }

  #expire(): void {
    this.#abort(new PlugboardError('HOOK_DEADLINE_EXCEEDED', `the host's ${this.#deadlineMs} ms deadline for this call passed`))
  }

  #abort(reason: unknown): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    this.#controller?.abort(reason)
  }
}
