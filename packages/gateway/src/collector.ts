import type { pluginv1 as pb } from '@plugboard/proto'
import type { ManagedPlugin } from '@plugboard/host'
import type { Logger } from 'pino'
import type { CollectorConfig } from './config.js'
import { inScope, type BindingScope, type DataCollectionTarget } from './gateway-plugins.js'
import type { GatewayMetrics } from './metrics.js'

type Kind = 'proxyLogs' | 'analytics' | 'budgetUsage'
type RecordOf<K extends Kind> = pb.DataBatch[K][number]
const KINDS = ['proxyLogs', 'analytics', 'budgetUsage'] as const

/** Why records did not reach a plugin: the `reason` label of `plugboard_collector_dropped_total`. */
export type DropReason =
  /** The intake queue was full (records arrive faster than they are batched). */
  | 'queue_full'
  /** The plugin's buffer was full (it is down or slower than the traffic). */
  | 'buffer_full'
  /** The plugin crashed too often and was given up. */
  | 'plugin_failed'
  /** The plugin answered the batch with an error. */
  | 'rejected'
  /** The plugin was removed from the config before its buffer was delivered. */
  | 'plugin_removed'
  /** The gateway closed before the plugin was back. */
  | 'shutdown'

/** Codes that say the batch did not get through (not that the plugin refused it): it is sent again. */
const RETRYABLE = new Set(['PLUGIN_UNAVAILABLE', 'PLUGIN_CONNECT_FAILED', 'HOOK_DEADLINE_EXCEEDED', 'HOOK_CANCELLED', 'CIRCUIT_OPEN'])
const CALL_DEADLINE_MS = 10_000
const RETRY_INITIAL_MS = 100
const RETRY_MAX_MS = 5000
const EMPTY = Buffer.alloc(0)

const emptyBatch = (): pb.DataBatch => ({ proxyLogs: [], analytics: [], budgetUsage: [] })
const sizeOf = (batch: pb.DataBatch) => batch.proxyLogs.length + batch.analytics.length + batch.budgetUsage.length

/**
 * The off-request-path queue of data collection. Records are batched, and
 * each batch goes to every data-collection plugin through that plugin's own
 * bounded buffer: while a plugin restarts, its batches wait there and are
 * sent again with backoff, so a restart loses nothing. A request never waits
 * for any of it. Every record that does not reach a plugin is counted in
 * `plugboard_collector_dropped_total{plugin,kind,reason}`, so per plugin,
 * delivered + dropped = records offered.
 */
export class DataCollectorQueue {
  #queue = emptyBatch()
  #size = 0
  #timer: NodeJS.Timeout | undefined
  readonly #lanes = new Map<string, Lane>()

  constructor(
    private readonly targets: () => DataCollectionTarget[],
    private readonly config: () => CollectorConfig,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  add<K extends Kind>(kind: K, record: RecordOf<K>): void {
    const targets = this.targets()
    if (targets.length === 0) return
    const options = this.config()
    if (this.#size >= options.maxQueue) {
      for (const { plugin } of targets) this.metrics.collectorDropped.inc({ plugin: plugin.name, kind, reason: 'queue_full' })
      return
    }
    ;(this.#queue[kind] as Array<RecordOf<K>>).push(record)
    this.#size++
    this.metrics.queueDepth.set(this.#size)
    if (this.#size >= options.batchSize) this.flush()
    else this.#timer ??= setTimeout(() => this.flush(), options.flushIntervalMs).unref()
  }

  /** Hands what is queued to each plugin's buffer now; delivery goes on in the background. */
  flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#size === 0) return
    const batch = this.#queue
    this.#queue = emptyBatch()
    this.#size = 0
    this.metrics.queueDepth.set(0)
    let withoutBodies: pb.DataBatch | undefined
    for (const target of this.targets()) {
      withoutBodies ??= target.includeBodies ? undefined : stripBodies(batch)
      const sent = target.includeBodies ? batch : withoutBodies!
      if (!target.scope) {
        this.#lane(target).enqueue(sent)
        continue
      }
      const scoped = withinScope(sent, target.scope)
      if (scoped.analytics.length + scoped.proxyLogs.length + scoped.budgetUsage.length > 0) this.#lane(target).enqueue(scoped)
    }
  }

  /**
   * Flushes, then waits until every plugin has its records or `timeoutMs`
   * passed; what is still buffered then is dropped and counted (`shutdown`).
   */
  async close(timeoutMs: number): Promise<void> {
    this.flush()
    const lanes = [...this.#lanes.values()]
    await withTimeout(Promise.all(lanes.map((lane) => lane.idle())), timeoutMs)
    for (const lane of lanes) lane.abandon('shutdown')
  }

  /**
   * For a plugin that left the config: waits (up to `timeoutMs`) until it has
   * what is buffered for it, then drops the rest (`plugin_removed`) and forgets it.
   */
  async retire(plugin: string, timeoutMs: number): Promise<void> {
    const lane = this.#lanes.get(plugin)
    if (!lane) return
    await withTimeout(lane.idle(), timeoutMs)
    lane.abandon('plugin_removed')
    this.#lanes.delete(plugin)
  }

  #lane(target: DataCollectionTarget): Lane {
    let lane = this.#lanes.get(target.plugin.name)
    if (!lane) this.#lanes.set(target.plugin.name, (lane = new Lane(target.plugin, this.config, this.metrics, this.logger)))
    return lane
  }
}

/** Waits for `promise`, or `ms` at most. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref()))])
  } finally {
    clearTimeout(timer)
  }
}

/** Proxy logs without their request and response bodies: what a plugin whose binding did not opt in gets. */
function stripBodies(batch: pb.DataBatch): pb.DataBatch {
  if (!batch.proxyLogs.some((log) => log.requestBody.length > 0 || log.responseBody.length > 0)) return batch
  return { ...batch, proxyLogs: batch.proxyLogs.map((log) => ({ ...log, requestBody: EMPTY, responseBody: EMPTY })) }
}

/** One plugin's buffer: at most `maxBuffered` records waiting, at most `maxInFlight` batches on the wire. */
class Lane {
  readonly #waiting: pb.DataBatch[] = []
  #buffered = 0
  #inFlight = 0
  #retryDelayMs = RETRY_INITIAL_MS
  #retry: { timer: NodeJS.Timeout; onState: (state: string) => void } | undefined
  #idle: Array<() => void> = []
  /** Set by `abandon`: nothing more is sent, and what comes back undelivered is dropped for this reason. */
  #abandoned: DropReason | undefined

  /** @param plugin the same object across reloads and restarts of the plugin (the host swaps its process behind it) */
  constructor(
    private readonly plugin: ManagedPlugin,
    private readonly config: () => CollectorConfig,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  enqueue(batch: pb.DataBatch): void {
    const size = sizeOf(batch)
    if (this.#buffered + size > this.config().maxBuffered) {
      this.#drop(batch, 'buffer_full')
      return
    }
    this.#waiting.push(batch)
    this.#buffered += size
    this.#gauge()
    this.#pump()
  }

  /** Resolves once nothing is waiting or in flight. */
  idle(): Promise<void> {
    if (this.#waiting.length === 0 && this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Drops (and counts) everything waiting; batches in flight still finish. */
  abandon(reason: DropReason): void {
    this.#abandoned = reason
    this.#stopRetry()
    for (const batch of this.#waiting.splice(0)) this.#drop(batch, reason)
    this.#buffered = 0
    this.#gauge()
    this.#settle()
  }

  #pump(): void {
    const { maxInFlight } = this.config()
    while (!this.#retry && !this.#abandoned && this.#inFlight < maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.shift()!
      this.#buffered -= sizeOf(batch)
      this.#inFlight++
      void this.#send(batch)
    }
    this.#gauge()
    this.#settle()
  }

  async #send(batch: pb.DataBatch): Promise<void> {
    const { plugin } = this
    try {
      await plugin.rpc('collectData', batch, { deadlineMs: CALL_DEADLINE_MS })
      this.#retryDelayMs = RETRY_INITIAL_MS
      for (const kind of KINDS) if (batch[kind].length) this.metrics.collectorDelivered.inc({ plugin: plugin.name, kind }, batch[kind].length)
    } catch (error) {
      const verdict = this.#verdict(error)
      if (verdict === 'retry' && !this.#abandoned) {
        this.#waiting.unshift(batch)
        this.#buffered += sizeOf(batch)
        this.#scheduleRetry()
      } else {
        this.#drop(batch, verdict === 'retry' ? this.#abandoned! : verdict)
        if (verdict === 'rejected') this.logger.warn({ plugin: plugin.name, err: String(error) }, 'data collection batch rejected by the plugin')
      }
    } finally {
      this.#inFlight--
      this.#pump()
    }
  }

  /** Send again while the plugin is on its way back; drop when it gave up, left, or refused the batch. */
  #verdict(error: unknown): 'retry' | DropReason {
    const { state } = this.plugin
    if (state === 'failed') return 'plugin_failed'
    if (state === 'stopping' || state === 'stopped') return 'plugin_removed'
    if (state === 'starting' || state === 'restarting') return 'retry'
    return RETRYABLE.has((error as { code?: string }).code ?? '') ? 'retry' : 'rejected'
  }

  /** Waits with backoff, or until the plugin is running again, whichever comes first. */
  #scheduleRetry(): void {
    if (this.#retry) return
    const wake = () => {
      this.#stopRetry()
      this.#pump()
    }
    const onState = (state: string) => {
      if (state === 'running') wake()
    }
    this.plugin.on('state', onState)
    this.#retry = { timer: setTimeout(wake, this.#retryDelayMs).unref(), onState }
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS)
  }

  #stopRetry(): void {
    if (!this.#retry) return
    clearTimeout(this.#retry.timer)
    this.plugin.off('state', this.#retry.onState)
    this.#retry = undefined
  }

  #drop(batch: pb.DataBatch, reason: DropReason): void {
    for (const kind of KINDS) if (batch[kind].length) this.metrics.collectorDropped.inc({ plugin: this.plugin.name, kind, reason }, batch[kind].length)
  }

  #gauge(): void {
    this.metrics.collectorBuffered.set({ plugin: this.plugin.name }, this.#buffered)
  }

  #settle(): void {
    if (this.#waiting.length > 0 || this.#inFlight > 0) return
    for (const resolve of this.#idle.splice(0)) resolve()
  }
}

/** The records of a batch that belong to requests within `scope` (budget usage has no LLM: it goes by app). */
function withinScope(batch: pb.DataBatch, scope: BindingScope): pb.DataBatch {
  return {
    analytics: batch.analytics.filter((record) => inScope(scope, record.appId, record.llm)),
    proxyLogs: batch.proxyLogs.filter((record) => inScope(scope, record.appId, record.llm)),
    budgetUsage: batch.budgetUsage.filter((record) => inScope({ apps: scope.apps }, record.appId, '')),
  }
}
