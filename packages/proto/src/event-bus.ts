import type { Event } from './gen/plugboard/service/v1/service.js'

/**
 * Topic-based publish/subscribe between plugins, Studio and gateways. The
 * in-process bus is the one-node default; a NATS-backed bus implements the
 * same interface for clusters.
 */
export interface EventBus {
  publish(event: Event): Promise<void>
  /** Yields events whose topic matches until `signal` aborts. */
  subscribe(topic: string, signal: AbortSignal): AsyncIterable<Event>
}

/** NATS-style matching: an exact topic, or "prefix.>" for everything below prefix. */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === '>') return true
  return pattern.endsWith('.>') ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic
}

interface Subscription {
  pattern: string
  push(event: Event): void
}

/** An in-process EventBus; a slow subscriber buffers up to `maxBuffered` events, then loses the oldest. */
export class MemoryEventBus implements EventBus {
  readonly #subscriptions = new Set<Subscription>()
  constructor(private readonly maxBuffered = 10_000) {}

  async publish(event: Event): Promise<void> {
    for (const subscription of this.#subscriptions) {
      if (topicMatches(subscription.pattern, event.topic)) subscription.push(event)
    }
  }

  async *subscribe(topic: string, signal: AbortSignal): AsyncIterable<Event> {
    const buffered: Event[] = []
    let wake: (() => void) | undefined
    const subscription: Subscription = {
      pattern: topic,
      push: (event) => {
        if (buffered.length >= this.maxBuffered) buffered.shift()
        buffered.push(event)
        wake?.()
      },
    }
    const onAbort = () => wake?.()
    signal.addEventListener('abort', onAbort)
    this.#subscriptions.add(subscription)
    try {
      while (!signal.aborted) {
        const event = buffered.shift()
        if (event) {
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
