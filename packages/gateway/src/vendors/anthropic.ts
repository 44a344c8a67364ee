import { GatewayError } from '../errors.js'
import { sseData, type SseEvent } from '../sse.js'
import type { ChatCompletionRequest } from '../openai-types.js'
import {
  AnthropicStreamTranslator,
  TRANSLATE_ERRORS,
  fromAnthropicError,
  fromAnthropicResponse,
  toAnthropicRequest,
  type AnthropicMessagesResponse,
  type TranslateErrorCode,
} from './anthropic-translate.js'
import type { NativeEvent, NativeVendorResponse, Vendor, VendorCall, VendorResponse } from './vendor.js'
import { eventDataType, invalidResponse, readUpstreamJson, sendUpstream, sseEvents, upstreamError } from './upstream.js'

const DEFAULT_MAX_TOKENS = 4096
const DONE = Buffer.from(sseData('[DONE]'))
const JSON_TYPE = { 'content-type': 'application/json' }
const STREAM_TYPE = { 'content-type': 'text/event-stream' }

/** Translation failures become gateway errors: the app's mistakes (400), or an upstream answer that cannot be translated (502). */
function translate<T>(run: () => T): T {
  try {
    return run()
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code !== undefined && code in TRANSLATE_ERRORS) {
      const { message } = error as Error
      if (TRANSLATE_ERRORS[code as TranslateErrorCode].status === 400) throw new GatewayError('INVALID_REQUEST', message, 400, { cause: error })
      // The translator gives an error event's body as the cause; any other stream error is a broken format.
      const errorEvent = (error as { cause?: { type?: unknown } }).cause?.type === 'error'
      throw new GatewayError(errorEvent ? 'UPSTREAM_ERROR' : 'UPSTREAM_INVALID_RESPONSE', message, 502, { cause: error })
    }
    throw error
  }
}

/**
 * Translates what the LLM at `url` answered. The translators trust the
 * Messages shape, so an answer of another shape fails in them (a TypeError):
 * that is the upstream's fault, UPSTREAM_INVALID_RESPONSE, never a 500.
 */
function translateAnswer<T>(url: string, run: () => T): T {
  try {
    return translate(run)
  } catch (error) {
    if (error instanceof GatewayError) throw error
    throw invalidResponse(url, 'something that is not a Messages response', error)
  }
}

/** Posts a Messages request (or, `path`, a count of one); an error answer is thrown with Anthropic's message. */
async function postMessages(call: VendorCall, body: string | Buffer, version: string, path = '/v1/messages') {
  const url = `${call.llm.baseUrl}${path}`
  const response = await sendUpstream({
    llm: call.llm,
    url,
    headers: { ...call.headers, 'content-type': 'application/json', 'x-api-key': call.llm.apiKey, 'anthropic-version': version },
    body,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
    limits: call.limits,
  })
  if (response.statusCode >= 400) {
    throw await upstreamError(response, (status, error) => `upstream answered ${status}: ${fromAnthropicError(status, error).message}`, call.llm.apiKey)
  }
  return { url, response }
}

type Posted = Awaited<ReturnType<typeof postMessages>>

/** A whole Messages answer: its bytes and its canonical completion. */
async function readMessage({ url, response }: Posted, call: VendorCall): Promise<{ bytes: Buffer; completion: Buffer }> {
  const { bytes, json } = await readUpstreamJson(response, { url, maxBytes: call.limits.upstreamMaxResponseBytes })
  const completion = translateAnswer(url, () => fromAnthropicResponse(json as AnthropicMessagesResponse, call.model))
  return { bytes, completion: Buffer.from(JSON.stringify(completion)) }
}

/** The last event of a Messages stream: its data's type says so, as the translator reads it (parsed only for an event named so, or unnamed). */
const isMessageStop = (event: SseEvent) => (event.event === 'message_stop' || event.event === 'message') && eventDataType(event.data) === 'message_stop'

/** A Messages event stream, each event with the canonical events it reads as (`[DONE]` after `message_stop`). */
async function* readMessageEvents({ url, response }: Posted, call: VendorCall, includeUsage: boolean): AsyncIterable<NativeEvent> {
  const translator = new AnthropicStreamTranslator({ model: call.model, includeUsage })
  for await (const { raw, event } of sseEvents(response, { url, maxEventBytes: call.limits.upstreamMaxEventBytes, isComplete: isMessageStop })) {
    const canonical = translateAnswer(url, () => translator.translate(event)).map((chunk) => Buffer.from(sseData(JSON.stringify(chunk))))
    if (translator.done) canonical.push(DONE)
    yield { native: raw, canonical }
  }
}

const ANTHROPIC_VERSION = '2023-06-01'

/**
 * Anthropic's Messages API behind the OpenAI format: requests, responses and
 * streams are translated, so OpenAI clients use Claude models unchanged.
 * Messages clients' requests go as they are (`native`), with the client's
 * `anthropic-version`. Embeddings are not offered by Anthropic.
 */
export const anthropicVendor: Vendor = {
  async chat(call: VendorCall): Promise<VendorResponse> {
    const request = call.body as unknown as ChatCompletionRequest
    const anthropicRequest = translate(() => toAnthropicRequest(request, call.model, { defaultMaxTokens: DEFAULT_MAX_TOKENS }))
    const posted = await postMessages(call, JSON.stringify(anthropicRequest), ANTHROPIC_VERSION)
    if (request.stream !== true) return { kind: 'json', status: 200, headers: JSON_TYPE, body: (await readMessage(posted, call)).completion }
    const includeUsage = (request as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === true
    async function* events(): AsyncIterable<Buffer> {
      for await (const { canonical } of readMessageEvents(posted, call, includeUsage)) yield* canonical
    }
    return { kind: 'stream', status: 200, headers: STREAM_TYPE, events: events() }
  },

  async native(_api, call: VendorCall): Promise<NativeVendorResponse> {
    const posted = await postMessages(call, call.rawBody, call.headers['anthropic-version'] ?? ANTHROPIC_VERSION)
    if (call.body.stream !== true) {
      const { bytes, completion } = await readMessage(posted, call)
      return { kind: 'json', status: 200, headers: JSON_TYPE, body: completion, native: bytes }
    }
    return { kind: 'native-stream', status: 200, headers: STREAM_TYPE, events: readMessageEvents(posted, call, true) }
  },

  async countTokens(call: VendorCall): Promise<number> {
    const { url, response } = await postMessages(call, call.rawBody, call.headers['anthropic-version'] ?? ANTHROPIC_VERSION, '/v1/messages/count_tokens')
    const { json } = await readUpstreamJson(response, { url, maxBytes: call.limits.upstreamMaxResponseBytes })
    const count = (json as { input_tokens?: unknown } | null)?.input_tokens
    if (!Number.isInteger(count) || (count as number) < 0) throw invalidResponse(url, 'a count without input_tokens')
    return count as number
  },

  async embeddings(call: VendorCall): Promise<VendorResponse> {
    throw new GatewayError('INVALID_REQUEST', `LLM "${call.llm.slug}" is an Anthropic LLM, which offers no embeddings`, 400)
  },
}
