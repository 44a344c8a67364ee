import type { GatewayMetrics } from './metrics.js'

/** The API of a logged request: the OpenAI routes, or the raw pass-through (`/llm/{slug}/…`). */
export type RequestApi = 'chat.completions' | 'embeddings' | 'passthrough' | 'anthropic.messages' | 'responses'

/**
 * What became of one proxied LLM request, as `GatewayOptions.requestLog`
 * receives it once the response is over. Requests refused before any LLM was
 * called (a bad key, a spent budget, a bad body) are records too, with the
 * status and error code they got.
 */
export interface RequestRecord {
  /** When the gateway received the request (epoch ms). */
  at: number
  requestId: string
  api: RequestApi | (string & {})
  /** The app that authenticated; null when none did. */
  appId: string | null
  /** The user an auth plugin set, if any (the built-in app keys set none). */
  userId: string | null
  /** The LLM's slug and the model the request went to (or would have); null when not known yet. */
  llm: string | null
  model: string | null
  /** The status the client got (499 when it left before one was sent). */
  status: number
  /** The gateway error code the client got (`INVALID_API_KEY`, `BUDGET_EXCEEDED`, …), also one sent as the last event of a stream that began well. */
  errorCode: string | null
  promptTokens: number
  completionTokens: number
  /** USD, as the budget was charged. */
  cost: number
  /** From receipt to the end of the response. */
  latencyMs: number
  streamed: boolean
  /** The client left, or the stream was cut short. */
  aborted: boolean
}

/** Receives each request's record; called on the gateway's event loop, so it should only buffer. */
export type RequestLog = (record: RequestRecord) => void

/**
 * The request log as the pipeline calls it: a callback that throws is
 * caught and counted (`plugboard_request_log_failures_total`), never
 * thrown into the gateway.
 */
export function guardedRequestLog(log: RequestLog, metrics: GatewayMetrics): RequestLog {
  return (record) => {
    try {
      log(record)
    } catch {
      metrics.requestLogFailures.inc()
    }
  }
}
