/**
 * The deadlines of many concurrent calls, on one timer. A timer per call cost
 * more than the rest of the host's bookkeeping for a hook call; calls given
 * the same timeout expire in the order they started, so one ordered list per
 * timeout and a timer for the earliest expiry do the same work for less.
 *
 * @example
 * const deadlines = new Deadlines<number>((id) => fail(id))
 * deadlines.add(7, 1000) // fail(7) in 1 s unless deadlines.delete(7, 1000) first
 */
export class Deadlines<K> {
  /** Per timeout, the keys waiting and when each expires, in the order they were added. */
  readonly #byTimeout = new Map<number, Map<K, number>>()
  #timer: NodeJS.Timeout | undefined
  #armedFor = Infinity

  constructor(private readonly onExpired: (key: K) => void) {}

  add(key: K, timeoutMs: number): void {
    const expiresAt = performance.now() + timeoutMs
    let waiting = this.#byTimeout.get(timeoutMs)
    if (!waiting) this.#byTimeout.set(timeoutMs, (waiting = new Map()))
    waiting.set(key, expiresAt)
    if (expiresAt < this.#armedFor) this.#arm(expiresAt)
  }

  /** Forgets a key (its call finished); the timer, if it was armed for it, finds nothing and re-arms. */
  delete(key: K, timeoutMs: number): void {
    this.#byTimeout.get(timeoutMs)?.delete(key)
  }

  /** Forgets every key and stops the timer. */
  clear(): void {
    this.#byTimeout.clear()
    clearTimeout(this.#timer)
    this.#armedFor = Infinity
  }

  #arm(at: number): void {
    clearTimeout(this.#timer)
    this.#armedFor = at
    // Unref'd: a watchdog is no reason to keep a process alive (the calls it watches keep their own resources open).
    this.#timer = setTimeout(() => this.#sweep(), Math.max(0, Math.ceil(at - performance.now()))).unref()
  }

  #sweep(): void {
    this.#armedFor = Infinity
    const now = performance.now()
    const expired: K[] = []
    let next = Infinity
    for (const [timeoutMs, waiting] of this.#byTimeout) {
      for (const [key, expiresAt] of waiting) {
        if (expiresAt > now) {
          next = Math.min(next, expiresAt)
          break
        }
        waiting.delete(key)
        expired.push(key)
      }
      if (waiting.size === 0) this.#byTimeout.delete(timeoutMs)
    }
    if (next < Infinity) this.#arm(next)
    for (const key of expired) this.onExpired(key)
  }
}
