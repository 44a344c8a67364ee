import { EventEmitter } from 'node:events'

/** An object type the admin API writes. */
export type ObjectType = 'llm' | 'app' | 'app_key' | 'user' | 'group' | 'token' | 'model_price' | 'budget' | 'tool' | 'datasource' | 'document' | 'plugin' | 'setting'

/** A committed write, announced after its transaction ended. */
export interface Change {
  type: ObjectType
  action: string
  id: string | null
}

/**
 * Committed writes, in commit order. The gateway feed rebuilds its config from
 * them; the next issue's object after-hooks and system events subscribe here.
 * In one process an EventEmitter; Studio nodes sharing PostgreSQL will relay
 * it over the event bus.
 */
export class ChangeFeed {
  readonly #emitter = new EventEmitter().setMaxListeners(0)

  publish(change: Change): void {
    this.#emitter.emit('change', change)
  }

  /** Calls `listener` with every later change until the returned function is called. */
  subscribe(listener: (change: Change) => void): () => void {
    this.#emitter.on('change', listener)
    return () => this.#emitter.off('change', listener)
  }
}
