import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../openai-types.js'

/** The error as every API's error shape is built from it: our stable code, the HTTP status, OpenAI's type and param. */
export interface DialectError {
  status: number
  code: string
  message: string
  /** OpenAI's error `type` (GATEWAY_ERRORS[code].type). */
  type: string
  param: string | null
}

/**
 * An API clients speak to the gateway other than chat completions (Anthropic
 * Messages, OpenAI Responses). The gateway translates at the edges: the
 * client's request becomes the canonical chat-completions request that
 * post-auth, response and chunk hooks and the vendors see, and the canonical
 * answer is translated back per request by a {@link DialectAnswer}.
 *
 * Translation is pure: no I/O, no clock but `created` stamps.
 */
export interface Dialect {
  /** The API's name in analytics and the request log (`RequestRecord.api`). */
  readonly api: 'anthropic.messages' | 'responses'
  /**
   * The client's JSON body (parsed, any shape) as a canonical request.
   * Streaming requests ask for `stream_options.include_usage`, so the
   * translated stream can report usage. Throws GatewayError INVALID_REQUEST
   * (`param` the path of the field at fault, e.g. `messages[1].content[0].type`)
   * for a body that does not fit the API or cannot be expressed canonically.
   */
  toCanonical(body: Record<string, unknown>): ChatCompletionRequest
  /** The translator back for one request, given the client's body as it was received (its model, tools, instructions, … are echoed). */
  answer(body: Record<string, unknown>): DialectAnswer
  /** The JSON body of an error answer on this API's routes. */
  errorBody(error: DialectError): unknown
  /**
   * The client's body as it is sent to an LLM that speaks this API natively,
   * when no post-auth hook changed its body: the top-level fields this
   * module knows, `model` the routed one (see each module's doc).
   */
  nativeRequest(body: Record<string, unknown>, model: string): Record<string, unknown>
}

/**
 * Translates one request's canonical answer to the client's API. Stateful
 * for a stream: one instance per request.
 */
export interface DialectAnswer {
  /** A whole canonical chat completion as the client's response body. Throws a TypeError-free GatewayError UPSTREAM_INVALID_RESPONSE when it is not one. */
  body(completion: ChatCompletion): unknown
  /**
   * One canonical stream chunk (a parsed `data:` event, `usage`-only chunks
   * with `choices: []` included) as zero or more SSE events of the client's
   * API, as text ready to write (`event: …\ndata: …\n\n` blocks), '' when
   * none.
   */
  chunk(chunk: ChatCompletionChunk): string
  /**
   * The fast path for the commonest chunk, a bare text delta (see
   * pipeline/content-delta.ts), not parsed: `literal` is its content's JSON
   * string literal, quotes included, as JSON.stringify writes it, ready to be
   * copied into the client's events. Returns exactly what {@link chunk} would
   * for that chunk, or undefined when the answer needs the whole chunk (then
   * `chunk` is called with it).
   */
  contentDelta?(literal: string): string | undefined
  /** The canonical stream ended (`data: [DONE]`): the events that end the client's stream. */
  end(): string
  /**
   * The stream broke after it started: the client's API's error event(s),
   * ending it. `afterNative`: what the client got so far was the upstream's
   * own stream in this API (the native lane), not this instance's events.
   */
  error(error: DialectError, afterNative?: boolean): string
}
