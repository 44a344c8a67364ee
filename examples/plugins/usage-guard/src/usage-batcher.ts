/** Requests per app, as one batch carries them. */
export type UsageCounts = Record<string, number>

export interface UsageBatcherOptions {
  /** Sends one batch; a rejection keeps its counts for the next batch. */
  send(counts: UsageCounts): Promise<void>
  /** Told when a send fails, and when sending works again after failures. */
  onSendState(failing: boolean, error?: unknown): void
  /** A batch goes at the latest this often (ms) while there are counts. */
  intervalMs: number
  /** A batch goes at once after this many requests. */
  flushEvery: number
  /** Distinct apps kept at most while sends fail; counts of further apps are dropped (and counted in `dropped`). */
  maxApps: number
}

/**
 * Counts requests per app in memory and sends them in batches, every
 * `intervalMs` or after `flushEvery` requests, whichever comes first. A
 * request only adds to a map: sending never runs on the request path, one
 * send is in flight at a time, and counts of a failed send are kept (up to
 * `maxApps` apps) and go with the next one.
 */
export class UsageBatcher {
  #pending = new Map<string, number>()
  #requests = 0
  #sending: Promise<void> | undefined
  #failing = false
  #timer: NodeJS.Timeout | undefined
  /** Requests whose app could not be kept while sends failed. */
  dropped = 0

  constructor(private readonly options: UsageBatcherOptions) {}

  /** Starts the interval; safe to call more than once. */
  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.options.intervalMs).unref()
  }

  count(appId: string): void {
    if (!this.#add(appId, 1)) return
    if (++this.#requests >= this.options.flushEvery) void this.flush()
  }

  /** Sends what is pending now, or joins the send in flight (whatever came meanwhile goes with the next). Never rejects. */
  flush(): Promise<void> {
    if (this.#sending) return this.#sending
    if (this.#pending.size === 0) return Promise.resolve()
    const batch = Object.fromEntries(this.#pending)
    this.#pending = new Map()
    this.#requests = 0
    this.#sending = this.options
      .send(batch)
      .then(
        () => {
          if (this.#failing) this.options.onSendState((this.#failing = false))
        },
        (error: unknown) => {
          for (const [appId, count] of Object.entries(batch)) this.#add(appId, count)
          if (!this.#failing) this.options.onSendState((this.#failing = true), error)
        },
      )
      .finally(() => (this.#sending = undefined))
    return this.#sending
  }

  /** Stops the interval and sends what is left, once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#sending
    await this.flush()
  }

  #add(appId: string, count: number): boolean {
    const current = this.#pending.get(appId)
    if (current === undefined && this.#pending.size >= this.options.maxApps) {
      this.dropped += count
      return false
    }
    this.#pending.set(appId, (current ?? 0) + count)
    return true
  }
}
