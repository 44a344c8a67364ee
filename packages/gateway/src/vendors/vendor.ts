import type { LlmConfig, ServerConfig } from '../config.js'

/** What bounds one upstream call, from the `server` config (the whole `server` section fits). */
export type UpstreamLimits = Pick<ServerConfig, 'upstreamMaxConnections' | 'upstreamMaxResponseBytes' | 'upstreamMaxEventBytes'>

/** One call to an LLM, in OpenAI terms: the vendor translates when it speaks something else. */
export interface VendorCall {
  llm: LlmConfig
  model: string
  /** The OpenAI-format request body, as the app (and plugins) left it. */
  body: Record<string, unknown>
  /** The same body as bytes, for vendors that forward it unchanged. */
  rawBody: Buffer
  /** Aborts when the client goes away or the gateway gives up: the upstream request is cancelled. */
  signal: AbortSignal
  requestId: string
  timeoutMs: number
  limits: UpstreamLimits
}

/**
 * What a vendor answers: a whole OpenAI-format JSON body, or a stream of
 * OpenAI-format SSE events, each the bytes of one complete `data: …\n\n`
 * block (`[DONE]` last), ready to write. A stream that ends early throws
 * UPSTREAM_STREAM_TRUNCATED from its iterator, one that breaks the format
 * UPSTREAM_INVALID_RESPONSE or UPSTREAM_RESPONSE_TOO_LARGE.
 */
export type VendorResponse =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: Buffer }
  | { kind: 'stream'; status: number; headers: Record<string, string>; events: AsyncIterable<Buffer> }

/** An LLM vendor adapter. Failures are GatewayErrors with UPSTREAM_* codes (the upstream status passed on). */
export interface Vendor {
  chat(call: VendorCall): Promise<VendorResponse>
  embeddings(call: VendorCall): Promise<VendorResponse>
}
