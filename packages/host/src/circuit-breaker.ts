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
 * closes or re-opens the breaker.
 */
export class CircuitBreaker {
  readonly #threshold: number
  readonly #cooldownMs: number
  readonly #now: () => number
  #state: BreakerState = 'closed'
  #failures = 0
  #openedAt = 0
  #trialInFlight = false

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5
    this.#cooldownMs = options.cooldownMs ?? 10_000
    this.#now = options.now ?? Date.now
  }

  get state(): BreakerState {
    return this.#state
  }

  /** Whether a call may go through now; in half-open state only one trial call at a time. */
  allow(): boolean {
    if (this.#state === 'closed') return true
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#cooldownMs) {
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

  failure(): void {
    this.#failures++
    this.#trialInFlight = false
    if (this.#state === 'half-open' || this.#failures >= this.#threshold) {
      this.#state = 'open'
      this.#openedAt = this.#now()
    }
  }
}
