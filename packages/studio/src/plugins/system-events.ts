import { publishSystemEvent, type EventBus } from '@plugboard/proto'
import type { Logger } from 'pino'
import type { Change, ChangeFeed, ObjectType } from '../api/changes.js'

/** The topic of an object change: `system.objects.<type>.<action>` (`system.objects.llm.update`). */
export function objectChangeTopic(change: Pick<Change, 'type' | 'action'>): string {
  return `system.objects.${change.type}.${change.action}`
}

/** What a `system.objects.>` event carries: the change, and the object as the admin API presents it (absent once deleted). */
export interface ObjectChangeEvent {
  type: ObjectType
  action: string
  id: string | null
  object?: unknown
}

/**
 * Names of fields that hold a secret. The API's presented shapes never carry
 * one; this is the second line, so a presenter that starts to leak one (a
 * new column, a raw row) cannot put it on the bus. Hints (`apiKeyHint`) stay.
 */
const SECRET_FIELD = /^(api_?key|password|secret|token|credentials?|private_?key|client_?secret)$|(_encrypted|_hash|Encrypted|Hash)$/i

/** A copy of `value` without fields named like secrets, at any depth. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets)
  if (typeof value !== 'object' || value === null || value instanceof Date) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !SECRET_FIELD.test(key))
      .map(([key, field]) => [key, withoutSecrets(field)]),
  )
}

export interface SystemEventPublisherOptions {
  changes: ChangeFeed
  /** Studio's event bus (its PluginHost's `events`). */
  bus: EventBus
  /** The object as the admin API presents it (never with secrets), or undefined when it is gone or not shown. */
  present: (type: ObjectType, id: string) => Promise<unknown>
  logger: Logger
  /** Changes waiting to be published; more are dropped and counted. Default 10 000. */
  maxPending?: number
}

/**
 * Publishes every committed change of the admin API's change feed as a
 * system event on Studio's bus, in commit order, off the write path: a write
 * never waits for it, and a presenter or bus failure costs that one event
 * (logged), never the write. The pending queue is bounded; what does not fit
 * is dropped and counted (`dropped`).
 *
 * @example
 * const publisher = new SystemEventPublisher({ changes: studio.context.changes, bus: studioPlugins.host.events, present, logger })
 * // on shutdown
 * await publisher.close()
 */
export class SystemEventPublisher {
  readonly #pending: Change[] = []
  readonly #unsubscribe: () => void
  readonly #maxPending: number
  #draining: Promise<void> | undefined
  #dropped = 0

  constructor(private readonly options: SystemEventPublisherOptions) {
    this.#maxPending = options.maxPending ?? 10_000
    // Returns nothing: the feed would hold the write's answer until the listener's promise settled.
    this.#unsubscribe = options.changes.subscribe((change) => void this.#enqueue(change))
  }

  /** Changes dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped
  }

  /** Stops listening and resolves once what was pending is published. Safe to call more than once. */
  async close(): Promise<void> {
    this.#unsubscribe()
    await this.#draining
  }

  #enqueue(change: Change): void {
    if (this.#pending.length >= this.#maxPending) {
      this.#dropped++
      if (this.#dropped === 1 || this.#dropped % 1000 === 0) this.options.logger.warn({ dropped: this.#dropped }, 'system events dropped: the queue is full')
      return
    }
    this.#pending.push(change)
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined))
  }

  async #drain(): Promise<void> {
    for (let change = this.#pending.shift(); change; change = this.#pending.shift()) {
      try {
        const object = change.id === null || change.action === 'delete' ? undefined : await this.options.present(change.type, change.id)
        const event: ObjectChangeEvent = { type: change.type, action: change.action, id: change.id, ...(object !== undefined && { object: withoutSecrets(object) }) }
        await publishSystemEvent(this.options.bus, objectChangeTopic(change), event)
      } catch (error) {
        this.options.logger.warn({ err: String(error), type: change.type, action: change.action, id: change.id }, 'system event not published')
      }
    }
  }
}
