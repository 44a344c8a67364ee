import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { PlugboardError, type Asset, type HookContext, type JsonValue, type UiProvider, type UiRpcRequest } from '@plugboard/sdk'
import { BUCKET_PREFIX, RateLimiter } from '@plugboard/example-rate-limiter/rate-limiter'
import { refill, type Bucket } from '@plugboard/example-rate-limiter/token-bucket'

/** One app's use of its allowances this minute, as the chart shows it. */
export type AppCounters = {
  appId: string
  requestsUsed: number
  requestsLeft: number
  /** LLM tokens used; null when tokens are not limited. */
  tokensUsed: number | null
}

export type Counters = {
  at: string
  limits: { requestsPerMinute: number; tokensPerMinute: number | null }
  /** Apps with a bucket not yet full again (one full is not stored), the busiest first. */
  apps: AppCounters[]
}

/** The assets it serves at `/plugins/{name}/ui/…`: its component, and the UI SDK the component imports (no bare imports without a build). */
const ASSETS: Record<string, () => string> = {
  'rate-limits.js': () => fileURLToPath(new URL('../ui/rate-limits.js', import.meta.url)),
  'ui-sdk.js': () => createRequire(import.meta.url).resolve('@plugboard/ui-sdk'),
}
const MAX_APPS = 1000
const round = (value: number) => Math.round(value * 10) / 10

/**
 * The rate limiter with a dashboard: the same limiter in the gateway, and in
 * Studio a page and an app tab (the WebComponents of `ui/rate-limits.js`)
 * charting each app's requests this minute. Counters are read over admin RPC
 * (`counters`) from the buckets the gateway half keeps in the plugin's KV
 * namespace — the one namespace both halves share; a separate plugin could
 * not read them (KV is per plugin).
 */
export class RateLimitDashboard extends RateLimiter implements Pick<UiProvider, 'serveAsset' | 'handleUiRpc'> {
  override readonly manifest = {
    id: 'rate-limit-dashboard',
    name: 'Rate limits',
    version: '0.1.0',
    description: 'Limits requests and LLM tokens per app per minute, and charts each app’s use in the dashboard',
    runtimes: ['gateway' as const, 'studio' as const],
    permissions: { services: ['kv.readwrite' as const] },
    ui: {
      routes: [{ path: '/', title: 'Rate limits', element: 'rate-limit-dashboard-chart', module: 'rate-limits.js' }],
      sidebar: [{ title: 'Rate limits', path: '/' }],
      appTabs: [{ title: 'Rate limit', element: 'rate-limit-dashboard-app', module: 'rate-limits.js' }],
      assets: Object.keys(ASSETS),
      rpc: ['counters'],
    },
  }

  async serveAsset(path: string): Promise<Asset | undefined> {
    const file = ASSETS[path]
    if (!file) return undefined
    return { contentType: 'text/javascript', body: await readFile(file()) }
  }

  async handleUiRpc({ method, payload }: UiRpcRequest, ctx: HookContext): Promise<JsonValue> {
    if (method !== 'counters') throw new PlugboardError('RPC_METHOD_UNKNOWN', `rate-limit-dashboard answers "counters", not "${method}"`)
    const appId = (payload as { appId?: unknown } | null)?.appId
    return this.#counters(typeof appId === 'string' ? appId : undefined, ctx)
  }

  async #counters(appId: string | undefined, ctx: HookContext): Promise<Counters> {
    const limits = this.limits
    const now = this.now()
    const stored = await ctx.services.kv.list(`${BUCKET_PREFIX}${appId ?? ''}`, { limit: MAX_APPS, signal: ctx.signal })
    const apps = stored
      .map(({ key, value }) => ({ appId: key.slice(BUCKET_PREFIX.length), bucket: refill(JSON.parse(value.toString('utf8')) as Bucket, limits, now) }))
      .filter((entry) => appId === undefined || entry.appId === appId)
      .map(({ appId, bucket }) => ({
        appId,
        requestsUsed: round(limits.requestsPerMinute - bucket.requests),
        requestsLeft: round(bucket.requests),
        tokensUsed: limits.tokensPerMinute ? round(limits.tokensPerMinute - bucket.tokens) : null,
      }))
      .sort((a, b) => b.requestsUsed - a.requestsUsed || a.appId.localeCompare(b.appId))
    return { at: new Date(now).toISOString(), limits: { requestsPerMinute: limits.requestsPerMinute, tokensPerMinute: limits.tokensPerMinute ?? null }, apps }
  }
}
