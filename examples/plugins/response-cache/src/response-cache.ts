import {
  BasePlugin,
  PlugboardError,
  block,
  modify,
  pass,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type PostAuthHook,
  type PostAuthRequest,
  type RequestHookResult,
  type StreamCompleteEvent,
  type StreamCompleteHook,
} from '@plugboard/sdk'
import { cacheKey } from './cache-key.js'

export interface ResponseCacheConfig {
  /** How long a response is served from the cache; default 300. */
  ttlSeconds?: number
  /** Cache only requests with `temperature: 0`; without it, everything answered with 200 is cached. */
  onlyDeterministic?: boolean
  /** Larger responses are not cached; default 1 MiB. */
  maxBodyBytes?: number
}

/** What the KV store holds under `cache/<key>`. */
type Entry = { contentType: string; body: string; storedAt: number }

function parseConfig(config: JsonValue): Required<ResponseCacheConfig> {
  const value = (config ?? {}) as ResponseCacheConfig
  const positive = (n: unknown) => n === undefined || (typeof n === 'number' && Number.isFinite(n) && n > 0)
  if (typeof value !== 'object' || Array.isArray(value) || !positive(value.ttlSeconds) || !positive(value.maxBodyBytes)) {
    throw new PlugboardError('CONFIG_INVALID', 'response-cache config is { "ttlSeconds": 300, "onlyDeterministic": false, "maxBodyBytes": 1048576 }, with positive numbers')
  }
  if (value.onlyDeterministic !== undefined && typeof value.onlyDeterministic !== 'boolean') {
    throw new PlugboardError('CONFIG_INVALID', 'response-cache: "onlyDeterministic" must be true or false')
  }
  return { ttlSeconds: value.ttlSeconds ?? 300, onlyDeterministic: value.onlyDeterministic ?? false, maxBodyBytes: value.maxBodyBytes ?? 1_048_576 }
}

function parseObject(bytes: Buffer): { [key: string]: JsonValue } | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as JsonValue
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * The content type to replay a finished response with, or undefined when it is
 * not a whole response: a JSON body that parses, or an SSE stream that got to `[DONE]`.
 */
function replayableAs(body: Buffer): string | undefined {
  if (parseObject(body)) return 'application/json'
  return /(^|\n)data: ?\[DONE\]\s*$/.test(body.toString('utf8')) ? 'text/event-stream' : undefined
}

/**
 * An LLM response cache. Post-auth looks the request up by a hash of what
 * determines the answer (LLM, path, streaming, body without `user`) and, on a
 * hit, answers it from the KV store without calling the upstream; on a miss it
 * passes the key on as chain metadata (`cacheKey`), and stream-complete stores
 * the finished 200 response under it for `ttlSeconds`.
 */
export class ResponseCache extends BasePlugin implements PostAuthHook, StreamCompleteHook, ConfigProvider {
  readonly manifest = {
    id: 'response-cache',
    name: 'Response cache',
    version: '0.1.0',
    description: 'Replays cached LLM responses to identical requests from the KV store',
    runtimes: ['gateway' as const, 'studio' as const],
    permissions: { services: ['kv.readwrite' as const] },
  }
  #config = parseConfig(null)

  configSchema(): JsonValue {
    return {
      type: 'object',
      properties: {
        ttlSeconds: { type: 'number', exclusiveMinimum: 0, default: 300 },
        onlyDeterministic: { type: 'boolean', default: false, description: 'Cache only requests with temperature 0' },
        maxBodyBytes: { type: 'number', exclusiveMinimum: 0, default: 1_048_576 },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseConfig(ctx.config)
  }

  async postAuth({ request, context }: PostAuthRequest, ctx: HookContext): Promise<RequestHookResult> {
    const body = parseObject(request.body)
    // Without a temperature the vendor default applies (1 for OpenAI and Anthropic): not deterministic.
    if (!body || (this.#config.onlyDeterministic && body.temperature !== 0)) return pass()
    const key = cacheKey({ llm: context.llm, path: request.path, streaming: context.streaming || body.stream === true, body })
    const entry = await ctx.services.kv.getJson<Entry>(`cache/${key}`, { signal: ctx.signal })
    if (!entry) return modify({ metadata: { cacheKey: key } })
    ctx.log.debug('response served from cache', { cacheKey: key })
    return block({
      status: 200,
      headers: {
        'content-type': entry.contentType,
        'x-plugboard-cache': 'hit',
        age: String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))),
      },
      body: entry.body,
    })
  }

  async onStreamComplete({ context, status, body, aborted }: StreamCompleteEvent, ctx: HookContext): Promise<void> {
    const key = context.metadata.cacheKey
    if (!key || status !== 200 || aborted || body.length > this.#config.maxBodyBytes) return
    const contentType = replayableAs(body)
    if (!contentType) return
    const entry: Entry = { contentType, body: body.toString('utf8'), storedAt: Date.now() }
    await ctx.services.kv.set(`cache/${key}`, entry, { ttlMs: this.#config.ttlSeconds * 1000, signal: ctx.signal })
  }
}
