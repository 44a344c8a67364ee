export type BreakerState = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold?: number
  /** How long an open breaker skips calls before it lets one trial call through. */
  cooldownMs?: number
  now?: () => number
}

/**
 * Stops calling a plugin that keeps failing: after `failureThreshold`
 * consecutive failures the breaker opens and calls are skipped; after
 * `cooldownMs` one trial call is let through (half-open) and its outcome
 * closes or re-opens the breaker. A trial that ends with neither (the caller
 * cancelled it) is `release`d, and the next call is the trial.
 *
 * Breakers can also follow the plugin's `generation` (see
 * `ManagedPlugin.generation`): when a call finds the breaker open and the
 * generation changed since it opened (the plugin restarted or was reloaded),
 * the cool-down is cut short and that call is the trial, so the outage after a
 * crash lasts as long as the restart, not the restart plus the cool-down.
 *
 * A breaker belongs to one plugin binding, not to a chain: pass the same
 * instance to rebuilt chains (`HookBinding.breaker`) and its state carries over.
 */
export class CircuitBreaker {
  readonly #threshold: number
  readonly #cooldownMs: number
  readonly #now: () => number
  #state: BreakerState = 'closed'
  #failures = 0
  #openedAt = 0
  #openedGeneration: number | undefined
  #trialInFlight = false

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5
    this.#cooldownMs = options.cooldownMs ?? 10_000
    this.#now = options.now ?? Date.now
  }

  get state(): BreakerState {
    return this.#state
  }

  /**
   * Whether a call may go through now; in half-open state only one trial call
   * at a time. `generation` is the plugin's current one, when it has one.
   */
  allow(generation?: number): boolean {
    if (this.#state === 'closed') return true
    if (
      this.#state === 'open' &&
      (this.#now() - this.#openedAt >= this.#cooldownMs || (generation !== undefined && this.#openedGeneration !== undefined && generation !== this.#openedGeneration))
    ) {
      this.#state = 'half-open'
      this.#trialInFlight = false
    }
    if (this.#state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true
      return true
    }
    return false
  }

  success(): void {
    this.#state = 'closed'
    this.#failures = 0
    this.#trialInFlight = false
  }

  /** A call failed; `generation` is the plugin's when the call was made. */
  failure(generation?: number): void {
    this.#failures++
    this.#trialInFlight = false
    if (this.#state === 'half-open' || this.#failures >= this.#threshold) {
      this.#state = 'open'
      this.#openedAt = this.#now()
      this.#openedGeneration = generation
    }
  }

  /**
   * A call let through ended without telling anything about the plugin's
   * health (the caller cancelled it, or its message was too large to send):
   * counts as neither success nor failure, and a half-open breaker's next call
   * becomes the trial.
   */
  release(): void {
    if (this.#state === 'half-open') this.#trialInFlight = false
  }
}
