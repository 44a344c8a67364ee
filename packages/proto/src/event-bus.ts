import { PlugboardError } from './errors.js'
import type { Event } from './gen/plugboard/service/v1/service.js'
import type { ServiceApiErrorCode } from './service-api.js'
import { topicMatches } from './topic-patterns.js'

/**
 * Topic-based publish/subscribe between plugins, Studio and gateways. The
 * in-process bus is the one-node default; a NATS-backed bus implements the
 * same interface for clusters.
 */
export interface EventBus {
  publish(event: Event): Promise<void>
  /** Yields events whose topic matches the pattern (see `topicMatches`) until `signal` aborts. */
  subscribe(pattern: string, signal: AbortSignal): AsyncIterable<Event>
}

interface Subscription {
  pattern: string
  push(event: Event): void
}

/** Bounds of a {@link MemoryEventBus} subscriber's buffer. */
export interface MemoryEventBusOptions {
  /** Events a subscriber may fall behind by. Default 10 000. */
  maxBufferedEvents?: number
  /** Topic and payload bytes a subscriber may fall behind by (or one event, however large). Default 16 MiB. */
  maxBufferedBytes?: number
}

/**
 * An in-process EventBus. Each subscriber has a bounded buffer: one that falls
 * further behind than {@link MemoryEventBusOptions} allow is unsubscribed at
 * once (its buffer freed) and its iteration throws EVENT_SUBSCRIPTION_OVERFLOW,
 * so it knows it missed events and can subscribe again; events are never
 * dropped silently.
 */
export class MemoryEventBus implements EventBus {
  readonly #subscriptions = new Set<Subscription>()
  readonly #maxEvents: number
  readonly #maxBytes: number

  constructor(options: MemoryEventBusOptions = {}) {
    this.#maxEvents = options.maxBufferedEvents ?? 10_000
    this.#maxBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024
  }

  /** Subscriptions open now. */
  get subscriberCount(): number {
    return this.#subscriptions.size
  }

  async publish(event: Event): Promise<void> {
    for (const subscription of this.#subscriptions) {
      if (topicMatches(subscription.pattern, event.topic)) subscription.push(event)
    }
  }

  async *subscribe(topic: string, signal: AbortSignal): AsyncIterable<Event> {
    const buffered: Event[] = []
    let bytes = 0
    let overflow: PlugboardError<ServiceApiErrorCode> | undefined
    let wake: (() => void) | undefined
    const subscription: Subscription = {
      pattern: topic,
      push: (event) => {
        const size = sizeOf(event)
        // One event larger than the byte cap still fits an empty buffer, so it cannot end every subscription it matches.
        if (buffered.length === 0 || (buffered.length < this.#maxEvents && bytes + size <= this.#maxBytes)) {
          buffered.push(event)
          bytes += size
        } else {
          overflow = new PlugboardError<ServiceApiErrorCode>(
            'EVENT_SUBSCRIPTION_OVERFLOW',
            `the subscriber to "${topic}" fell ${buffered.length} events (${bytes} bytes) behind, so its subscription was ended; read faster and subscribe again`,
          )
          this.#subscriptions.delete(subscription)
          buffered.length = 0
        }
        wake?.()
      },
    }
    const onAbort = () => wake?.()
    signal.addEventListener('abort', onAbort)
    this.#subscriptions.add(subscription)
    try {
      while (!signal.aborted) {
        if (overflow) throw overflow
        const event = buffered.shift()
        if (event) {
          bytes -= sizeOf(event)
          yield event
          continue
        }
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
      }
    } finally {
      this.#subscriptions.delete(subscription)
      signal.removeEventListener('abort', onAbort)
    }
  }
}

const sizeOf = (event: Event): number => event.topic.length + event.payload.length
