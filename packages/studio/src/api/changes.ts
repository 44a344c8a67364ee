/** An object type the admin API writes. */
export type ObjectType = 'llm' | 'app' | 'app_key' | 'user' | 'group' | 'token' | 'model_price' | 'budget' | 'tool' | 'datasource' | 'document' | 'plugin' | 'schedule' | 'setting'

/** A committed write, announced after its transaction ended. */
export interface Change {
  type: ObjectType
  action: string
  id: string | null
}

/** How long a write's answer waits for the listeners to take its change in (the gateway to apply it). */
export const SETTLE_TIMEOUT_MS = 5_000

type Listener = (change: Change) => void | Promise<unknown>

/**
 * Committed writes, in commit order. The gateway feed rebuilds its config from
 * them; the next issue's object after-hooks and system events subscribe here.
 * A listener may return a promise: `publish` waits for it (bounded), so the
 * API answers a write once the gateway serves it — the next request sees it.
 * In one process a list of listeners; Studio nodes sharing PostgreSQL will
 * relay it over the event bus.
 */
export class ChangeFeed {
  readonly #listeners = new Set<Listener>()

  /** Tells every listener; resolves when they are done, or after SETTLE_TIMEOUT_MS. Never rejects. */
  async publish(change: Change): Promise<void> {
    const pending = [...this.#listeners].map(async (listener) => listener(change))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_TIMEOUT_MS).unref()))
    await Promise.race([Promise.allSettled(pending), timeout])
    clearTimeout(timer)
  }

  /** Calls `listener` with every later change until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
