import type { pluginv1 as pb } from '@plugboard/proto'
import type { ManagedPlugin } from '@plugboard/host'
import type { Logger } from 'pino'
import type { GatewayMetrics } from './metrics.js'

type Kind = 'proxyLogs' | 'analytics' | 'budgetUsage'
type RecordOf<K extends Kind> = pb.DataBatch[K][number]

/**
 * The off-request-path queue of data collection: records are batched and
 * sent to every data-collection plugin. Bounded: when full, new records are
 * dropped and counted, and a request never waits for it.
 */
export class DataCollectorQueue {
  #queue: pb.DataBatch = { proxyLogs: [], analytics: [], budgetUsage: [] }
  #size = 0
  #timer: NodeJS.Timeout | undefined
  #inFlight = new Set<Promise<void>>()

  constructor(
    private readonly targets: () => ManagedPlugin[],
    private readonly options: { maxQueue: number; batchSize: number; flushIntervalMs: number },
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  add<K extends Kind>(kind: K, record: RecordOf<K>): void {
    if (this.targets().length === 0) return
    if (this.#size >= this.options.maxQueue) {
      this.metrics.queueDropped.inc({ kind })
      return
    }
    ;(this.#queue[kind] as Array<RecordOf<K>>).push(record)
    this.#size++
    this.metrics.queueDepth.set(this.#size)
    if (this.#size >= this.options.batchSize) this.flush()
    else this.#timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs).unref()
  }

  /** Sends what is queued now; resolves when every plugin answered or failed. */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#size === 0) return Promise.all(this.#inFlight).then(() => undefined)
    const batch = this.#queue
    this.#queue = { proxyLogs: [], analytics: [], budgetUsage: [] }
    this.#size = 0
    this.metrics.queueDepth.set(0)
    const sending = Promise.all(
      this.targets().map((plugin) =>
        plugin.rpc('collectData', batch, { deadlineMs: 10_000 }).catch((error: unknown) => {
          this.logger.warn({ plugin: plugin.name, err: String(error) }, 'data collection batch not delivered')
        }),
      ),
    ).then(() => undefined)
    this.#inFlight.add(sending)
    void sending.finally(() => this.#inFlight.delete(sending))
    return sending
  }
}
