import { setTimeout as sleep } from 'node:timers/promises'
import {
  BasePlugin,
  PlugboardError,
  block,
  pass,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type PostAuthHook,
  type PostAuthRequest,
  type RequestHookResult,
  type ScheduledTask,
  type ScheduledTasks,
  type SessionAware,
  type UiProvider,
  type UiRpcRequest,
} from '@plugboard/sdk'
import { UsageBatcher, type UsageCounts } from './usage-batcher.js'

/** The topic gateway halves publish their batches on (`up`, to Studio). */
export const COUNTS_TOPIC = 'usage-guard.counts'
/** The topic the Studio half publishes the apps blocked today on (`down`, to every gateway), after each aggregation. */
export const BLOCKED_TOPIC = 'usage-guard.blocked'
const AGGREGATE_SCHEDULE = 'aggregate'
const DAY_MS = 24 * 60 * 60_000
/** Bounds on what one batch, the Studio half's pending counts and the config may hold. */
const MAX_APP_ID_CHARS = 200
const MAX_APPS_PER_BATCH = 10_000
const MAX_PENDING_APPS = 100_000
const MAX_LIMITS = 1_000
const MAX_COUNT = 1_000_000_000
/** Entries the admin RPC lists per kind: a page, not a dump. */
const RPC_LIST_LIMIT = 1_000
const RESUBSCRIBE_MS = 1_000

export interface UsageGuardConfig {
  /** Requests an app may make per UTC day; apps not named are counted, never blocked. */
  limits: Record<string, number>
}

export interface UsageGuardOptions {
  /** The clock, in ms since the epoch (tests pass their own). */
  now?: () => number
  /** Gateway half: a batch goes at the latest this often (default 1 s)… */
  flushIntervalMs?: number
  /** …or after this many requests (default 100). */
  flushEvery?: number
}

/** An app at its limit: its count today and the limit. */
type Blocked = { count: number; limit: number }
/** What the Studio half publishes on {@link BLOCKED_TOPIC}: every app blocked on `day`, so a gateway replaces what it knew. */
type BlockedToday = { day: string; blocked: Record<string, Blocked> }

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isCount = (value: unknown, max = MAX_COUNT): value is number => Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= max
const isAppId = (value: string) => value.length > 0 && value.length <= MAX_APP_ID_CHARS

/** The UTC day of `ms`, `2026-01-02`. */
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const untilNextUtcDay = (ms: number) => DAY_MS - (ms % DAY_MS)

const usageKey = (appId: string) => `usage:${appId}`
const dayKey = (day: string, appId: string) => `day:${day}:${appId}`
const counterOf = (value: Buffer | undefined) => Number(value?.toString('utf8') ?? 0)

function parseConfig(config: JsonValue): UsageGuardConfig {
  if (config === null) return { limits: {} }
  const limits = isObject(config) ? (config.limits ?? {}) : undefined
  if (!isObject(limits)) throw new PlugboardError('CONFIG_INVALID', 'usage-guard config must look like { "limits": { "<appId>": <max requests per day> } }')
  const entries = Object.entries(limits)
  if (entries.length > MAX_LIMITS) throw new PlugboardError('CONFIG_INVALID', `usage-guard: at most ${MAX_LIMITS} limits, not ${entries.length}`)
  for (const [appId, limit] of entries) {
    if (!isAppId(appId) || !isCount(limit)) throw new PlugboardError('CONFIG_INVALID', `usage-guard: the limit of ${JSON.stringify(appId.slice(0, 50))} must be a whole number from 1 to ${MAX_COUNT}`)
  }
  return { limits: limits as Record<string, number> }
}

/**
 * Reads one batch a gateway published; anything else is refused with a
 * reason, never thrown. Apps with bad ids or counts are left out.
 */
export function parseBatch(payload: Buffer): { counts: UsageCounts } | { problem: string } {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    return { problem: 'not JSON' }
  }
  if (!isObject(value) || !isObject(value.counts)) return { problem: 'not { "counts": { … } }' }
  const entries = Object.entries(value.counts)
  if (entries.length > MAX_APPS_PER_BATCH) return { problem: `${entries.length} apps, more than ${MAX_APPS_PER_BATCH}` }
  return { counts: Object.fromEntries(entries.filter(([appId, count]) => isAppId(appId) && isCount(count))) as UsageCounts }
}

/** Reads what the Studio half published on {@link BLOCKED_TOPIC}; undefined for anything else. */
export function parseBlocked(payload: Buffer): BlockedToday | undefined {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    return undefined
  }
  if (!isObject(value) || typeof value.day !== 'string' || !isObject(value.blocked) || Object.keys(value.blocked).length > MAX_LIMITS) return undefined
  const blocked = Object.entries(value.blocked).filter(
    ([appId, entry]) => isAppId(appId) && isObject(entry) && isCount(entry.count, Number.MAX_SAFE_INTEGER) && isCount(entry.limit),
  )
  return { day: value.day, blocked: Object.fromEntries(blocked) as Record<string, Blocked> }
}

function counterValues(entries: Array<{ key: string; value: Buffer }>, prefix: string): Record<string, number> {
  return Object.fromEntries(entries.map(({ key, value }) => [key.slice(prefix.length), Number(value.toString('utf8'))]))
}

/**
 * One plugin, both runtimes. Its gateway half counts each authenticated
 * request per app and publishes the counts `up` to Studio in batches
 * ({@link UsageBatcher}: every second or 100 requests; scope events.publish,
 * topic `usage-guard.>`). Its Studio half subscribes to them
 * (scope events.subscribe) and keeps them in memory until the `aggregate`
 * schedule (every minute) adds them to KV counters: `usage:<appId>` (all
 * time) and `day:<YYYY-MM-DD>:<appId>` (scope kv.readwrite).
 *
 * With config `limits: { "<appId>": <requests per day> }` it also guards:
 * after each aggregation the Studio half publishes the apps whose count today
 * reached their limit `down` to every gateway (`usage-guard.blocked`), and
 * gateway halves, which subscribe to it, answer those apps' requests 429
 * `USAGE_LIMIT_EXCEEDED` until the UTC day ends. Nothing is read on the
 * request path. Counts are a minute behind, so an app may pass its limit by
 * about a minute of traffic, and a gateway that starts learns the blocks at
 * the next aggregation. Counts still in a gateway's or Studio's memory are
 * lost if it dies. The admin RPC method `usage` answers the totals.
 */
export class UsageGuard extends BasePlugin implements PostAuthHook, ScheduledTasks, SessionAware, ConfigProvider, Pick<UiProvider, 'handleUiRpc'> {
  readonly manifest = {
    id: 'usage-guard',
    name: 'Usage guard',
    version: '0.1.0',
    description: 'Counts requests per app across gateways, totals them in Studio, and blocks an app over its daily limit',
    runtimes: ['gateway' as const, 'studio' as const],
    permissions: {
      services: ['events.publish' as const, 'events.subscribe' as const, 'kv.readwrite' as const],
      events: { publish: ['usage-guard.>'], subscribe: ['usage-guard.>'] },
    },
    schedules: [{ id: AGGREGATE_SCHEDULE, name: 'Aggregate usage', cron: '* * * * *', timezone: 'UTC', timeoutSeconds: 30 }],
    ui: { rpc: ['usage'] },
  }
  readonly #now: () => number
  readonly #batcherOptions: { intervalMs: number; flushEvery: number }
  #config: UsageGuardConfig = { limits: {} }
  /** Gateway half: its batches, and the blocks Studio last published. */
  #batcher: UsageBatcher | undefined
  #blocked: BlockedToday = { day: '', blocked: {} }
  /** Studio half: counts received and not yet aggregated. */
  #pending = new Map<string, number>()
  /** Ends the subscription of either half. */
  #listening: AbortController | undefined

  constructor(options: UsageGuardOptions = {}) {
    super()
    this.#now = options.now ?? Date.now
    this.#batcherOptions = { intervalMs: options.flushIntervalMs ?? 1_000, flushEvery: options.flushEvery ?? 100 }
  }

  configSchema(): JsonValue {
    return {
      type: 'object',
      additionalProperties: false,
      properties: {
        limits: {
          type: 'object',
          maxProperties: MAX_LIMITS,
          description: 'Requests an app may make per UTC day, by app id; apps not named are never blocked',
          additionalProperties: { type: 'integer', minimum: 1, maximum: MAX_COUNT },
        },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseConfig(ctx.config)
    if (ctx.runtime !== 'gateway') return
    this.#batcher = new UsageBatcher({
      ...this.#batcherOptions,
      maxApps: MAX_APPS_PER_BATCH,
      send: (counts) => ctx.services.events.publish(COUNTS_TOPIC, { counts }, { direction: 'up' }),
      onSendState: (failing, error) =>
        failing ? ctx.log.warn('usage counts not sent; keeping them for the next batch', { error: String(error) }) : ctx.log.info('usage counts sent again'),
    })
  }

  /**
   * Gateway half: starts sending batches and listening to the blocks. Studio
   * half: starts listening to the batches. For as long as the session lasts.
   */
  onSessionReady(ctx: PluginContext): void {
    if (this.#listening) return
    const signal = (this.#listening = new AbortController()).signal
    if (this.#batcher) {
      this.#batcher.start()
      void this.#listen(ctx, BLOCKED_TOPIC, signal, (payload) => {
        const blocked = parseBlocked(payload)
        if (blocked) this.#blocked = blocked
        else ctx.log.warn('blocked apps ignored: not { day, blocked }')
      })
    } else {
      void this.#listen(ctx, COUNTS_TOPIC, signal, (payload, source) => {
        const batch = parseBatch(payload)
        if ('problem' in batch) ctx.log.warn('usage batch ignored', { source, problem: batch.problem })
        else for (const [appId, count] of Object.entries(batch.counts)) this.#accumulate(appId, count)
      })
    }
  }

  async onSessionClosing(): Promise<void> {
    this.#listening?.abort()
    await this.#batcher?.stop()
  }

  override async shutdown(): Promise<void> {
    await this.onSessionClosing()
  }

  postAuth({ context }: PostAuthRequest): RequestHookResult {
    const appId = context.app?.id
    if (!appId || !this.#batcher) return pass()
    const blocked = this.#blocked.day === utcDay(this.#now()) ? this.#blocked.blocked[appId] : undefined
    if (blocked) {
      return block({
        status: 429,
        headers: { 'retry-after': String(Math.ceil(untilNextUtcDay(this.#now()) / 1000)) },
        body: {
          error: {
            message: `app ${appId} made ${blocked.count} requests today (UTC), its limit is ${blocked.limit}; it may send again after 00:00 UTC`,
            type: 'rate_limit_error',
            code: 'USAGE_LIMIT_EXCEEDED',
          },
        },
      })
    }
    this.#batcher.count(appId)
    return pass()
  }

  async runScheduledTask(task: ScheduledTask, ctx: HookContext): Promise<JsonValue> {
    if (task.scheduleId !== AGGREGATE_SCHEDULE) throw new PlugboardError('SCHEDULE_UNKNOWN', `usage-guard has no schedule ${JSON.stringify(task.scheduleId.slice(0, 100))}`)
    const kv = ctx.services.kv
    const options = { signal: ctx.signal }
    const day = utcDay(this.#now())
    const batch = [...this.#pending]
    this.#pending = new Map()
    const today = new Map<string, number>()
    let requests = 0
    for (const [index, [appId, count]] of batch.entries()) {
      try {
        await kv.increment(usageKey(appId), count, options)
        today.set(appId, await kv.increment(dayKey(day, appId), count, { ...options, ttlMs: 2 * DAY_MS }))
      } catch (error) {
        // This app's counts may be half applied; the ones not tried yet wait for the next run.
        for (const [later, laterCount] of batch.slice(index + 1)) this.#accumulate(later, laterCount)
        throw error
      }
      requests += count
    }
    const blocked = await this.#blockedToday(day, today, ctx)
    // All of today's blocks each time: a gateway that missed one, or started since, catches up; a raised limit lifts a block.
    if (Object.keys(this.#config.limits).length > 0) await ctx.services.events.publish(BLOCKED_TOPIC, { day, blocked }, { ...options, direction: 'down' })
    return { apps: batch.length, requests, blocked: Object.keys(blocked) }
  }

  async handleUiRpc({ method }: UiRpcRequest, ctx: HookContext): Promise<JsonValue> {
    if (method !== 'usage') throw new PlugboardError('RPC_METHOD_UNKNOWN', `usage-guard answers the admin RPC method "usage", not ${JSON.stringify(method.slice(0, 100))}`)
    const options = { signal: ctx.signal, limit: RPC_LIST_LIMIT }
    const day = utcDay(this.#now())
    const [totals, today] = await Promise.all([ctx.services.kv.list('usage:', options), ctx.services.kv.list(`day:${day}:`, options)])
    const todayCounts = counterValues(today, `day:${day}:`)
    return {
      totals: counterValues(totals, 'usage:'),
      today: todayCounts,
      blocked: Object.entries(this.#config.limits)
        .filter(([appId, limit]) => (todayCounts[appId] ?? 0) >= limit)
        .map(([appId]) => appId),
      limits: this.#config.limits,
      /** Received from gateways, not yet aggregated. */
      pending: [...this.#pending.values()].reduce((sum, count) => sum + count, 0),
    }
  }

  /** The apps with a limit whose count on `day` reached it; `counted` holds the counts this run already knows. */
  async #blockedToday(day: string, counted: Map<string, number>, ctx: HookContext): Promise<Record<string, Blocked>> {
    const blocked: Record<string, Blocked> = {}
    for (const [appId, limit] of Object.entries(this.#config.limits)) {
      const count = counted.get(appId) ?? counterOf(await ctx.services.kv.get(dayKey(day, appId), { signal: ctx.signal }))
      if (count >= limit) blocked[appId] = { count, limit }
    }
    return blocked
  }

  /** Hands each event on `topic` to `onEvent` until `signal` aborts, subscribing again after a failure. */
  async #listen(ctx: PluginContext, topic: string, signal: AbortSignal, onEvent: (payload: Buffer, source: string) => void): Promise<void> {
    while (!signal.aborted) {
      try {
        for await (const event of ctx.services.events.subscribe(topic, { signal })) onEvent(event.payload, event.source)
      } catch (error) {
        if (signal.aborted) return
        ctx.log.warn('subscription failed; subscribing again', { topic, error: String(error) })
      }
      await sleep(RESUBSCRIBE_MS, undefined, { signal }).catch(() => undefined)
    }
  }

  #accumulate(appId: string, count: number): void {
    const current = this.#pending.get(appId)
    if (current === undefined && this.#pending.size >= MAX_PENDING_APPS) return
    this.#pending.set(appId, Math.min((current ?? 0) + count, Number.MAX_SAFE_INTEGER))
  }
}
