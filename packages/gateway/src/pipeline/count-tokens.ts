import { parseJsonObject, requireJsonContentType, sendJson } from '../http-io.js'
import { countRequest } from '../dialects/anthropic.js'
import { nativeApi, nativeCall } from './call-vendor.js'
import { dialectRequest } from './dialect-request.js'
import type { Stage } from './exchange.js'

/**
 * The request stage of `POST /v1/messages/count_tokens`: its body is a
 * Messages request without `max_tokens`, translated as one (with a
 * `max_tokens` of 1: counting reserves next to nothing of a budget).
 */
export const countTokensRequest: Stage = (x, next) => {
  if (!x.answer) {
    requireJsonContentType(x.request.headers)
    const body = parseJsonObject(x.request.body)
    if (body.max_tokens === undefined) x.request = { ...x.request, body: Buffer.from(JSON.stringify({ ...body, max_tokens: 1 })) }
  }
  return dialectRequest(x, next)
}

/**
 * Answers the count: the upstream's own, when the LLM speaks Messages natively
 * (an `anthropic` LLM) and no hook changed the request; else the gateway's
 * estimate of the canonical prompt's tokens.
 */
export const countTokens: Stage = async (x) => {
  const vendor = x.state.vendors[x.llm!.vendor]
  const inputTokens = nativeApi(x) && vendor.countTokens ? await vendor.countTokens(nativeCall(x, countRequest(x.clientBody!, x.model))) : x.promptTokens()
  x.status = 200
  sendJson(x.res, 200, { input_tokens: inputTokens }, { 'x-request-id': x.requestId })
}
