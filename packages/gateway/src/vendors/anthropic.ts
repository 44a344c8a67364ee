import { GatewayError } from '../errors.js'
import { sseData } from '../sse.js'
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
import type { Vendor, VendorCall, VendorResponse } from './vendor.js'
import { invalidResponse, readUpstreamJson, sendUpstream, sseEvents, upstreamError } from './upstream.js'

const DEFAULT_MAX_TOKENS = 4096
const DONE = Buffer.from(sseData('[DONE]'))

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

/**
 * Anthropic's Messages API behind the OpenAI format: requests, responses and
 * streams are translated, so OpenAI clients use Claude models unchanged.
 * Embeddings are not offered by Anthropic.
 */
export const anthropicVendor: Vendor = {
  async chat(call: VendorCall): Promise<VendorResponse> {
    const request = call.body as unknown as ChatCompletionRequest
    const anthropicRequest = translate(() => toAnthropicRequest(request, call.model, { defaultMaxTokens: DEFAULT_MAX_TOKENS }))
    const url = `${call.llm.baseUrl}/v1/messages`
    const response = await sendUpstream({
      llm: call.llm,
      url,
      headers: { ...call.headers, 'content-type': 'application/json', 'x-api-key': call.llm.apiKey, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(anthropicRequest),
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      limits: call.limits,
    })
    if (response.statusCode >= 400) {
      throw await upstreamError(response, (status, body) => `upstream answered ${status}: ${fromAnthropicError(status, body).message}`, call.llm.apiKey)
    }
    if (request.stream !== true) {
      const { json } = await readUpstreamJson(response, { url, maxBytes: call.limits.upstreamMaxResponseBytes })
      const completion = translateAnswer(url, () => fromAnthropicResponse(json as AnthropicMessagesResponse, call.model))
      return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(completion)) }
    }
    const translator = new AnthropicStreamTranslator({
      model: call.model,
      includeUsage: (request as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === true,
    })
    async function* events(): AsyncIterable<Buffer> {
      for await (const { event } of sseEvents(response, { url, maxEventBytes: call.limits.upstreamMaxEventBytes, isComplete: (e) => e.event === 'message_stop' })) {
        for (const chunk of translateAnswer(url, () => translator.translate(event))) yield Buffer.from(sseData(JSON.stringify(chunk)))
        if (translator.done) yield DONE
      }
    }
    return { kind: 'stream', status: 200, headers: { 'content-type': 'text/event-stream' }, events: events() }
  },

  async embeddings(call: VendorCall): Promise<VendorResponse> {
    throw new GatewayError('INVALID_REQUEST', `LLM "${call.llm.slug}" is an Anthropic LLM, which offers no embeddings`, 400)
  },
}
