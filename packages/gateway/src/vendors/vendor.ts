import type { LlmConfig, NativeApi, ServerConfig } from '../config.js'

/** What bounds one upstream call, from the `server` config (the whole `server` section fits). */
export type UpstreamLimits = Pick<ServerConfig, 'upstreamMaxConnections' | 'upstreamMaxResponseBytes' | 'upstreamMaxEventBytes'>

/** One call to an LLM, in OpenAI terms: the vendor translates when it speaks something else. */
export interface VendorCall {
  llm: LlmConfig
  model: string
  /** The OpenAI-format request body, as the app (and plugins) left it; for `Vendor.native`, the body in the client's API. */
  body: Record<string, unknown>
  /** The same body as bytes, for vendors that forward it unchanged. */
  rawBody: Buffer
  /**
   * The request headers as the hooks left them, to send upstream: credentials
   * and hop-by-hop headers are already taken out. The vendor sets its own
   * content type and key over them.
   */
  headers: Record<string, string>
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

/**
 * What a vendor answers a request in the client's own API (the native lane):
 * the upstream's answer as it came, beside its canonical reading for hooks,
 * usage and the records. A JSON answer's `body` is the canonical completion,
 * `native` the upstream's bytes; each streamed event's `native` bytes come
 * with the canonical events they read as (zero or more, each one `data:`
 * block, `[DONE]` after the last). Stream failures are thrown as for a {@link VendorResponse}.
 */
export type NativeVendorResponse =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: Buffer; native: Buffer }
  | { kind: 'native-stream'; status: number; headers: Record<string, string>; events: AsyncIterable<NativeEvent> }

export interface NativeEvent {
  native: Buffer
  canonical: Buffer[]
}

/** An LLM vendor adapter. Failures are GatewayErrors with UPSTREAM_* codes (the upstream status passed on). */
export interface Vendor {
  chat(call: VendorCall): Promise<VendorResponse>
  embeddings(call: VendorCall): Promise<VendorResponse>
  /**
   * The client's request in `api`, which the LLM speaks natively
   * (`LlmConfig.nativeApis`): `call.body` is that API's request body, sent
   * upstream as it is. Only vendors whose upstreams speak another API have it.
   */
  native?(api: NativeApi, call: VendorCall): Promise<NativeVendorResponse>
  /** The prompt tokens of `call.body`, a Messages count_tokens body, as the upstream counts them (Anthropic's LLMs). */
  countTokens?(call: VendorCall): Promise<number>
}
