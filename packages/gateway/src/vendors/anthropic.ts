import { GatewayError } from '../errors.js'
import { sseData } from '../sse.js'
import type { ChatCompletionRequest } from '../openai-types.js'
import {
  AnthropicStreamTranslator,
  TRANSLATE_ERRORS,
  fromAnthropicError,
  fromAnthropicResponse,
  toAnthropicRequest,
  type TranslateErrorCode,
} from './anthropic-translate.js'
import type { Vendor, VendorCall, VendorResponse } from './vendor.js'
import { sendUpstream, sseEvents, upstreamError } from './upstream.js'

const DEFAULT_MAX_TOKENS = 4096

/** Translation failures become gateway errors: the app's mistakes (400) or a broken upstream stream (502). */
function translate<T>(run: () => T): T {
  try {
    return run()
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code !== undefined && code in TRANSLATE_ERRORS) {
      const status = TRANSLATE_ERRORS[code as TranslateErrorCode].status
      throw new GatewayError(status === 400 ? 'INVALID_REQUEST' : 'UPSTREAM_ERROR', (error as Error).message, status, { cause: error })
    }
    throw error
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
      url,
      headers: { ...call.headers, 'content-type': 'application/json', 'x-api-key': call.llm.apiKey, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(anthropicRequest),
      signal: call.signal,
      timeoutMs: call.timeoutMs,
    })
    if (response.statusCode >= 400) {
      throw await upstreamError(response, (status, body) => `upstream answered ${status}: ${fromAnthropicError(status, body).message}`)
    }
    if (request.stream !== true) {
      const completion = fromAnthropicResponse((await response.body.json()) as never, call.model)
      return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(completion)) }
    }
    const translator = new AnthropicStreamTranslator({
      model: call.model,
      includeUsage: (request as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === true,
    })
    async function* events(): AsyncIterable<string> {
      for await (const { event } of sseEvents(response, url, (e) => e.event === 'message_stop')) {
        for (const chunk of translate(() => translator.translate(event))) yield sseData(JSON.stringify(chunk))
        if (translator.done) yield sseData('[DONE]')
      }
    }
    return { kind: 'stream', status: 200, headers: { 'content-type': 'text/event-stream' }, events: events() }
  },

  async embeddings(call: VendorCall): Promise<VendorResponse> {
    throw new GatewayError('INVALID_REQUEST', `LLM "${call.llm.slug}" is an Anthropic LLM, which offers no embeddings`, 400)
  },
}
