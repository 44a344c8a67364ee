/**
 * Failures allowed before sign-in waits; then each failure doubles the wait,
 * up to MAX_WAIT_MS. An address gets more: many people may share one (NAT).
 */
const FREE_FAILURES = { email: 5, address: 20 } as const
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

/** What failures are counted against: the email tried, and the client's address. */
export type ThrottleKey = { kind: keyof typeof FREE_FAILURES; value: string }

/**
 * Throttles failed sign-ins per email and per client address: after 5
 * failures for an email (20 for an address), each further attempt must wait
 * 1 s, 2 s, 4 s … up to 15 min. In memory, per Studio process.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, Failures>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before the next attempt for any of `keys`, 0 when it may go ahead. */
  waitMs(keys: ThrottleKey[]): number {
    const now = this.now()
    let wait = 0
    for (const key of keys) {
      const entry = this.#failures.get(`${key.kind}:${key.value}`)
      const free = FREE_FAILURES[key.kind]
      if (!entry || now - entry.last > WINDOW_MS || entry.count < free) continue
      const delay = Math.min(MAX_WAIT_MS, BASE_WAIT_MS * 2 ** Math.min(30, entry.count - free))
      wait = Math.max(wait, entry.last + delay - now)
    }
    return Math.max(0, wait)
  }

  fail(keys: ThrottleKey[]): void {
    const now = this.now()
    for (const { kind, value } of keys) {
      const key = `${kind}:${value}`
      const entry = this.#failures.get(key)
      const count = entry && now - entry.last <= WINDOW_MS ? entry.count + 1 : 1
      this.#failures.delete(key)
      this.#failures.set(key, { count, last: now })
    }
    while (this.#failures.size > MAX_KEYS) this.#failures.delete(this.#failures.keys().next().value!)
  }

  succeed(keys: ThrottleKey[]): void {
    for (const { kind, value } of keys) this.#failures.delete(`${kind}:${value}`)
  }
}
