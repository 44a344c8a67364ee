/** Failures allowed before sign-in waits; then each failure doubles the wait, up to MAX_WAIT_MS. */
const FREE_FAILURES = 5
const BASE_WAIT_MS = 1000
const MAX_WAIT_MS = 15 * 60_000
/** Failures older than this are forgotten. */
const WINDOW_MS = 15 * 60_000
/** Keys remembered at most (the oldest go first): an attacker cycling emails cannot grow it without bound. */
const MAX_KEYS = 10_000

interface Failures {
  count: number
  last: number
}

/**
 * Throttles failed sign-ins per email and per client address: after 5
 * failures, each further attempt must wait 1 s, 2 s, 4 s … up to 15 min.
 * In memory, per Studio process.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, Failures>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before the next attempt for any of `keys`, 0 when it may go ahead. */
  waitMs(keys: string[]): number {
    const now = this.now()
    let wait = 0
    for (const key of keys) {
      const entry = this.#failures.get(key)
      if (!entry || now - entry.last > WINDOW_MS) continue
      if (entry.count < FREE_FAILURES) continue
      const delay = Math.min(MAX_WAIT_MS, BASE_WAIT_MS * 2 ** (entry.count - FREE_FAILURES))
      wait = Math.max(wait, entry.last + delay - now)
    }
    return Math.max(0, wait)
  }

  fail(keys: string[]): void {
    const now = this.now()
    for (const key of keys) {
      const entry = this.#failures.get(key)
      const count = entry && now - entry.last <= WINDOW_MS ? entry.count + 1 : 1
      this.#failures.delete(key)
      this.#failures.set(key, { count, last: now })
    }
    while (this.#failures.size > MAX_KEYS) this.#failures.delete(this.#failures.keys().next().value!)
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.#failures.delete(key)
  }
}
