import type { Dispatcher } from 'undici'
import { requireLlmAllowed } from './api-keys.js'
import { llmBySlug } from './config.js'
import { GatewayError } from './errors.js'
import { forwardedRequestHeaders, relayedResponseHeaders } from './forwarded-headers.js'
import { parseJsonObject } from './http-io.js'
import type { Stage } from './pipeline/exchange.js'
import { maxCompletionTokensOf } from './usage.js'
import { sendUpstream } from './vendors/upstream.js'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The request stage of the raw pass-through (`/llm/{slug}/…`, paths the
 * gateway does not model): the route names the LLM, which the app must be
 * allowed to use. A JSON body is read for its model and token limit, so that
 * the budget and plugins see them; any other body passes with model ''.
 * Runs before post-auth and again after it, when a plugin changed the body.
 */
export const passThroughRequest: Stage = (x, next) => {
  if (x.parsedFrom !== x.request.body) {
    const llm = llmBySlug(x.state.config, x.pinnedLlm!)
    if (llm.vendor === 'mock') throw new GatewayError('ROUTE_NOT_FOUND', `the mock LLM "${llm.slug}" serves only chat/completions and embeddings`)
    requireLlmAllowed(x.app!, llm.slug)
    const json = x.request.body.length > 0 && JSON_TYPE.test(x.request.headers['content-type'] ?? '')
    const body = json ? parseJsonObject(x.request.body) : undefined
    x.body = body
    x.parsedFrom = x.request.body
    x.routeTo(llm, typeof body?.model === 'string' ? body.model : '', body?.stream === true)
    x.maxCompletionTokens = body ? maxCompletionTokensOf(body, x.state.config.budgets.defaultCompletionTokens) : 0
  }
  return next()
}

/**
 * Sends the request upstream as the plugins left it, with the vendor's key
 * instead of the app's; the answer is relayed raw by the respond stage.
 */
export const relayUpstream: Stage = async (x, next) => {
  const llm = x.llm!
  const { request } = x
  const headers = forwardedRequestHeaders(request.headers)
  if (llm.vendor === 'anthropic') Object.assign(headers, { 'x-api-key': llm.apiKey, 'anthropic-version': headers['anthropic-version'] ?? '2023-06-01' })
  else headers.authorization = `Bearer ${llm.apiKey}`
  // Configured base URLs of OpenAI-style vendors end in /v1; the path below the slug repeats it.
  const base = llm.vendor === 'openai' ? llm.baseUrl.replace(/\/v1$/, '') : llm.baseUrl
  const response = await sendUpstream({
    llm,
    url: `${base}${x.upstreamPath}${request.query ? `?${request.query}` : ''}`,
    method: request.method as Dispatcher.HttpMethod,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
    signal: x.signal,
    timeoutMs: x.state.config.server.upstreamTimeoutMs,
    limits: x.state.config.server,
  })
  x.response = { kind: 'raw', status: response.statusCode, headers: relayedResponseHeaders(response.headers), body: response.body }
  await next()
}
