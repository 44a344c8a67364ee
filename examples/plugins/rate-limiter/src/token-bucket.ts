/** Per-minute allowances of one app. */
export interface Limits {
  requestsPerMinute: number
  /** LLM tokens (prompt + completion); unlimited when absent. */
  tokensPerMinute?: number
}

/** What is left of an app's allowances at `updatedAt` (ms since the epoch). `tokens` may be negative: a debt. */
export type Bucket = {
  requests: number
  tokens: number
  updatedAt: number
}

const MINUTE_MS = 60_000

/**
 * The bucket refilled up to `now`: each allowance comes back evenly over a
 * minute, up to its per-minute size. No bucket yet means a full one.
 */
export function refill(bucket: Bucket | undefined, limits: Limits, now: number): Bucket {
  const tokenLimit = limits.tokensPerMinute ?? 0
  if (!bucket) return { requests: limits.requestsPerMinute, tokens: tokenLimit, updatedAt: now }
  const elapsed = Math.max(0, now - bucket.updatedAt)
  return {
    requests: Math.min(limits.requestsPerMinute, bucket.requests + (elapsed * limits.requestsPerMinute) / MINUTE_MS),
    tokens: Math.min(tokenLimit, bucket.tokens + (elapsed * tokenLimit) / MINUTE_MS),
    updatedAt: now,
  }
}

/**
 * Milliseconds until the bucket holds a whole request and, when tokens are
 * limited, a whole token; 0 when it does now. Says which allowance is short.
 */
export function wait(bucket: Bucket, limits: Limits): { ms: number; short: 'requests' | 'tokens' } {
  const requests = Math.max(0, ((1 - bucket.requests) * MINUTE_MS) / limits.requestsPerMinute)
  const tokens = limits.tokensPerMinute ? Math.max(0, ((1 - bucket.tokens) * MINUTE_MS) / limits.tokensPerMinute) : 0
  return tokens > requests ? { ms: tokens, short: 'tokens' } : { ms: requests, short: 'requests' }
}

/** Milliseconds until both allowances are full, after which a stored bucket is no different from none. */
export function untilFull(bucket: Bucket, limits: Limits): number {
  const requests = ((limits.requestsPerMinute - bucket.requests) * MINUTE_MS) / limits.requestsPerMinute
  const tokens = limits.tokensPerMinute ? ((limits.tokensPerMinute - bucket.tokens) * MINUTE_MS) / limits.tokensPerMinute : 0
  return Math.max(requests, tokens)
}
