import {
  BasePlugin,
  PlugboardError,
  block,
  pass,
  type App,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type PostAuthHook,
  type PostAuthRequest,
  type RequestHookResult,
  type ResponseBodyEvent,
  type ResponseBodyResult,
  type ResponseChunkEvent,
  type ResponseChunkResult,
  type ResponseHook,
} from '@plugboard/sdk'
import { KeyLock } from './key-lock.js'
import { refill, untilFull, wait, type Bucket, type Limits } from './token-bucket.js'
import { StreamMeter, totalTokens } from './usage-meter.js'

/**
 * A stream whose end never arrived is forgotten after this long. The host announces every end,
 * a broken-off one too (`aborted`); this covers what no message can: a host that died mid-stream,
 * a hook channel that broke before the end got through.
 */
const ABANDONED_STREAM_MS = 60 * 60_000

/** Where each app's bucket is kept in the plugin's KV namespace: `bucket/<appId>`. */
export const BUCKET_PREFIX = 'bucket/'

const positive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0

function parseConfig(config: JsonValue): Limits {
  const value = config as Partial<Limits> | null
  if (!value || typeof value !== 'object' || !positive(value.requestsPerMinute) || (value.tokensPerMinute !== undefined && !positive(value.tokensPerMinute))) {
    throw new PlugboardError('CONFIG_INVALID', 'rate-limiter needs config { "requestsPerMinute": 60, "tokensPerMinute": 100000 } with positive numbers (tokensPerMinute optional)')
  }
  return { requestsPerMinute: value.requestsPerMinute, tokensPerMinute: value.tokensPerMinute }
}

/**
 * Token-bucket rate limits per app: each authenticated request takes one
 * request from the app's bucket and each response's LLM tokens are debited
 * from its token bucket; while either is empty, requests get 429 with
 * `retry-after`. Buckets live in the plugin's KV namespace (`bucket/<appId>`),
 * so every gateway sharing that store shares the limits. Updates of a bucket
 * are serialized within this process; gateways sharing a store can race
 * (a read-modify-write without compare-and-set), which loosens the limit a little.
 */
export class RateLimiter extends BasePlugin implements PostAuthHook, ResponseHook, ConfigProvider {
  readonly manifest = {
    id: 'rate-limiter',
    name: 'Rate limiter',
    version: '0.1.0',
    description: 'Limits requests and LLM tokens per app per minute with token buckets',
    runtimes: ['gateway' as const, 'studio' as const],
    permissions: { services: ['kv.readwrite' as const] },
  }
  #limits: Limits = { requestsPerMinute: 1 }
  /** Token counts of response streams in flight, by request id. */
  readonly #streams = new Map<string, StreamMeter>()
  /** Each bucket is read, changed and written by one call at a time in this process. */
  readonly #buckets = new KeyLock()

  /** @param now the clock, in ms since the epoch (tests pass their own). */
  constructor(protected readonly now: () => number = Date.now) {
    super()
  }

  /** The limits in force, from the config. */
  protected get limits(): Limits {
    return this.#limits
  }

  configSchema(): JsonValue {
    return {
      type: 'object',
      required: ['requestsPerMinute'],
      properties: {
        requestsPerMinute: { type: 'number', exclusiveMinimum: 0, description: 'Requests per app per minute' },
        tokensPerMinute: { type: 'number', exclusiveMinimum: 0, description: 'LLM tokens per app per minute; unlimited when absent' },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#limits = parseConfig(ctx.config)
  }

  async postAuth({ context }: PostAuthRequest, ctx: HookContext): Promise<RequestHookResult> {
    const app = context.app
    if (!app) return pass()
    return this.#buckets.run(app.id, async () => {
      const bucket = await this.#load(app.id, ctx)
      const { ms, short } = wait(bucket, this.#limits)
      if (ms > 0) return this.#limited(app, short, ms, ctx)
      bucket.requests -= 1
      await this.#save(app.id, bucket, ctx)
      return pass()
    })
  }

  async onResponseBody({ context, body }: ResponseBodyEvent, ctx: HookContext): Promise<ResponseBodyResult> {
    if (this.#limits.tokensPerMinute && context.app) {
      const tokens = totalTokens(parseJson(body))
      if (tokens) await this.#debit(context.app.id, tokens, ctx)
    }
    return { action: 'pass' }
  }

  async onResponseChunk({ context, data, endOfStream }: ResponseChunkEvent, ctx: HookContext): Promise<ResponseChunkResult> {
    if (!this.#limits.tokensPerMinute || !context.app) return { action: 'pass' }
    let meter = this.#streams.get(context.requestId)
    if (endOfStream) {
      this.#streams.delete(context.requestId)
      // An aborted stream is debited too: the LLM generated (and billed) what was streamed before it broke off.
      if (meter?.tokens) await this.#debit(context.app.id, meter.tokens, ctx)
      return { action: 'pass' }
    }
    if (!meter) {
      this.#forgetAbandoned()
      this.#streams.set(context.requestId, (meter = new StreamMeter()))
    }
    meter.add(data)
    return { action: 'pass' }
  }

  async #load(appId: string, ctx: HookContext): Promise<Bucket> {
    const stored = await ctx.services.kv.getJson<Bucket>(`${BUCKET_PREFIX}${appId}`, { signal: ctx.signal })
    return refill(stored, this.#limits, this.now())
  }

  /** Stored until it would be full again: an expired bucket reads as a full one. */
  async #save(appId: string, bucket: Bucket, ctx: HookContext): Promise<void> {
    const ttlMs = Math.max(1000, Math.ceil(untilFull(bucket, this.#limits)))
    await ctx.services.kv.set(`${BUCKET_PREFIX}${appId}`, bucket, { ttlMs, signal: ctx.signal })
  }

  async #debit(appId: string, tokens: number, ctx: HookContext): Promise<void> {
    await this.#buckets.run(appId, async () => {
      const bucket = await this.#load(appId, ctx)
      bucket.tokens -= tokens
      await this.#save(appId, bucket, ctx)
    })
  }

  #limited(app: App, short: 'requests' | 'tokens', ms: number, ctx: HookContext): RequestHookResult {
    const seconds = Math.ceil(ms / 1000)
    const limit = short === 'requests' ? `${this.#limits.requestsPerMinute} requests` : `${this.#limits.tokensPerMinute} tokens`
    ctx.log.info('request rate-limited', { appId: app.id, short, retryAfterSeconds: seconds })
    return block({
      status: 429,
      headers: { 'retry-after': String(seconds) },
      body: {
        error: {
          message: `app "${app.name || app.id}" exceeded its limit of ${limit} per minute; retry in ${seconds} s`,
          type: 'rate_limit_error',
          code: 'RATE_LIMITED',
        },
      },
    })
  }

  /** Streams are kept in start order, so the abandoned ones are at the front. */
  #forgetAbandoned(): void {
    for (const [id, meter] of this.#streams) {
      if (Date.now() - meter.startedAt < ABANDONED_STREAM_MS) return
      this.#streams.delete(id)
    }
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}
