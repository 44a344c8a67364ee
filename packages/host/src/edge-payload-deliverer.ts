import { PlugboardError, type ServiceApiErrorCode } from '@plugboard/proto'
import type { HostLogger } from './logger.js'
import type { ManagedPlugin } from './supervisor.js'

/** One payload a gateway half sent, on its way to the Studio half. */
export interface EdgePayloadDelivery {
  gatewayId: string
  kind: string
  payload: Buffer
}

export interface EdgePayloadDelivererOptions {
  logger: HostLogger
  /** Time the Studio half has to take one payload (ReceiveEdgePayload); default 10 s. */
  deadlineMs?: number
  /** Payloads waiting per plugin; more are dropped and counted. Default 1000. */
  maxQueued?: number
  /** Payload bytes waiting per plugin; more are dropped and counted. Default 16 MiB. */
  maxQueuedBytes?: number
}

/** What happened to one plugin's edge payloads so far. */
export interface EdgePayloadStats {
  delivered: number
  /** Refused because the plugin's queue was full. */
  dropped: number
  /** The Studio half failed, timed out or was not running. */
  failed: number
  /** Waiting now (the one being delivered included). */
  queued: number
}

interface Queue {
  plugin: ManagedPlugin
  waiting: EdgePayloadDelivery[]
  bytes: number
  stats: EdgePayloadStats
  running: boolean
}

/**
 * Studio side of edge payloads: hands what gateway halves send to the Studio
 * half of the same plugin (ReceiveEdgePayload), one at a time per plugin, in
 * the order they arrived, each within a deadline. Each plugin has a bounded
 * queue; a payload that does not fit is dropped and counted, never queued
 * without bound, and never blocks the sending gateway. A Studio half that
 * fails or times out costs that payload only (counted, logged).
 *
 * @example
 * const deliverer = new EdgePayloadDeliverer({ logger })
 * const gateways = new PluginHost({ runtime: 'gateway', logger, edgePayloads: async (from, kind, payload) =>
 *   deliverer.deliver(studioHost.get(from.plugin)!, { gatewayId: from.gatewayId, kind, payload }) })
 */
export class EdgePayloadDeliverer {
  readonly #queues = new Map<string, Queue>()
  readonly #closing = new AbortController()
  readonly #deadlineMs: number
  readonly #maxQueued: number
  readonly #maxQueuedBytes: number

  constructor(private readonly options: EdgePayloadDelivererOptions) {
    this.#deadlineMs = options.deadlineMs ?? 10_000
    this.#maxQueued = options.maxQueued ?? 1000
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024
  }

  /**
   * Queues `delivery` for `studioHalf`; returns false when its queue is full
   * (the payload is dropped and counted). Throws SERVICE_UNAVAILABLE, with a
   * Service API code so it reaches the sending plugin as such, when the
   * plugin does not declare edge_payload_receiver or the deliverer is closed.
   */
  deliver(studioHalf: ManagedPlugin, delivery: EdgePayloadDelivery): boolean {
    if (this.#closing.signal.aborted) throw unavailable(`edge payloads to plugin "${studioHalf.name}" are not taken: Studio is shutting down`)
    const capabilities = studioHalf.description?.capabilities ?? (studioHalf.manifest?.capabilities as string[] | undefined) ?? []
    if (!capabilities.includes('edge_payload_receiver')) {
      throw unavailable(`the Studio half of plugin "${studioHalf.name}" does not receive edge payloads (it does not declare edge_payload_receiver)`)
    }
    let queue = this.#queues.get(studioHalf.name)
    if (!queue) {
      queue = { plugin: studioHalf, waiting: [], bytes: 0, stats: { delivered: 0, dropped: 0, failed: 0, queued: 0 }, running: false }
      this.#queues.set(studioHalf.name, queue)
    }
    queue.plugin = studioHalf
    // One payload always fits an empty queue, so a cap below the payload limit cannot refuse every payload.
    if (queue.waiting.length > 0 && (queue.waiting.length >= this.#maxQueued || queue.bytes + delivery.payload.length > this.#maxQueuedBytes)) {
      queue.stats.dropped++
      return false
    }
    queue.waiting.push(delivery)
    queue.bytes += delivery.payload.length
    queue.stats.queued = queue.waiting.length
    if (!queue.running) void this.#drain(queue)
    return true
  }

  /** Counts for one plugin (zeros for one that was never sent anything). */
  stats(plugin: string): EdgePayloadStats {
    return { ...(this.#queues.get(plugin)?.stats ?? { delivered: 0, dropped: 0, failed: 0, queued: 0 }) }
  }

  /** Drops what waits and cancels deliveries in flight; later `deliver` calls throw. Safe to call more than once. */
  close(): void {
    this.#closing.abort()
    for (const queue of this.#queues.values()) {
      queue.stats.dropped += queue.waiting.length
      queue.waiting.length = 0
      queue.bytes = 0
      queue.stats.queued = 0
    }
  }

  async #drain(queue: Queue): Promise<void> {
    queue.running = true
    try {
      for (let delivery = queue.waiting[0]; delivery; delivery = queue.waiting[0]) {
        try {
          await queue.plugin.rpc('receiveEdgePayload', delivery, { deadlineMs: this.#deadlineMs, signal: this.#closing.signal })
          queue.stats.delivered++
        } catch (error) {
          queue.stats.failed++
          this.options.logger.warn(
            { plugin: queue.plugin.name, kind: delivery.kind, gatewayId: delivery.gatewayId, err: String(error), failed: queue.stats.failed },
            'edge payload not delivered',
          )
        }
        // Removed only now: `close` may have emptied the queue meanwhile.
        if (queue.waiting[0] === delivery) {
          queue.waiting.shift()
          queue.bytes -= delivery.payload.length
        }
        queue.stats.queued = queue.waiting.length
      }
    } finally {
      queue.running = false
    }
  }
}

const unavailable = (message: string) => new PlugboardError<ServiceApiErrorCode>('SERVICE_UNAVAILABLE', message)
