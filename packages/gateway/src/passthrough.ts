import type { Dispatcher } from 'undici'
import { requireLlmAllowed } from './api-keys.js'
import { llmBySlug } from './config.js'
import { GatewayError } from './errors.js'
import { forwardedRequestHeaders, relayedResponseHeaders } from './forwarded-headers.js'
import { isJsonType, parseJsonObject } from './http-io.js'
import type { Stage } from './pipeline/exchange.js'
import { estimateBodyTokens, maxCompletionTokensOf } from './usage.js'
import { openAiErrorMessage, readUpstreamJson, refusedCredential, sendUpstream, sseEvents, upstreamError } from './vendors/upstream.js'

const EVENT_STREAM_TYPE = /^text\/event-stream\s*(?:;|$)/i
/** The methods the vendors' APIs use; TRACE would echo the vendor's key back to the client. */
const PASSED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])
const ALLOWED_METHODS = [...PASSED_METHODS].join(', ')
/** An escaped `/` or `\\`: an upstream (or a proxy before it) that decodes it first could walk `..%2f` out of the base URL's path. */
const ENCODED_SEPARATOR = /%(?:2f|5c)/i

/**
 * The body as JSON, for its model and token limit. A JSON content type must
 * hold a JSON object; a body of another declared type that still is a JSON
 * object is read too, as a vendor may read it whatever its type says: the
 * budget and plugins cannot be dodged by the header.
 */
function jsonBodyOf(request: { body: Buffer; headers: Record<string, string> }): Record<string, unknown> | undefined {
  const { body } = request
  if (body.length === 0) return undefined
  if (isJsonType(request.headers['content-type'])) return parseJsonObject(body)
  if (body.toString('latin1', 0, 64).trimStart()[0] !== '{') return undefined
  try {
    return parseJsonObject(body)
  } catch {
    return undefined
  }
}

/**
 * The request stage of the raw pass-through (`/llm/{slug}/…`, paths the
 * gateway does not model): the route names the LLM, which the app must be
 * allowed to use. A JSON body is read for its model and token limit, so that
 * the budget and plugins see them; any other body passes with model ''. An
 * encoded body (`content-encoding`) is refused: neither can read it.
 * Runs before post-auth and again after it, when a plugin changed the body.
 */
export const passThroughRequest: Stage = (x, next) => {
  if (x.parsedFrom !== x.request.body) {
    const llm = llmBySlug(x.state.config, x.pinnedLlm!)
    if (llm.vendor === 'mock') throw new GatewayError('ROUTE_NOT_FOUND', `the mock LLM "${llm.slug}" serves only chat/completions and embeddings`)
    requireLlmAllowed(x.app!, llm.slug)
    if (!PASSED_METHODS.has(x.request.method)) {
      throw new GatewayError('METHOD_NOT_ALLOWED', `the pass-through takes ${ALLOWED_METHODS}, not ${x.request.method}`, undefined, { headers: { allow: ALLOWED_METHODS } })
    }
    if (ENCODED_SEPARATOR.test(x.upstreamPath)) throw new GatewayError('BAD_REQUEST', 'a pass-through path may not hold an escaped "/" or "\\" (%2F, %5C)')
    const encoding = x.request.headers['content-encoding']?.trim().toLowerCase()
    if (encoding && encoding !== 'identity') {
      throw new GatewayError('UNSUPPORTED_CONTENT_ENCODING', `request bodies are read by the budget and plugins, so they cannot be sent "${encoding}"-encoded`)
    }
    const body = jsonBodyOf(x.request)
    x.body = body
    x.parsedFrom = x.request.body
    x.routeTo(llm, typeof body?.model === 'string' ? body.model : '', body?.stream === true)
    x.maxCompletionTokens = body ? maxCompletionTokensOf(body, x.state.config.budgets.defaultCompletionTokens) : 0
    x.estimatePrompt = estimateBodyTokens
  }
  return next()
}

/** Whether a pass-through answer is a successful one with a body of a type `isType` accepts (HEAD, 204 and 205 have none). */
function hasBody(isType: (contentType: string | undefined) => boolean, method: string, status: number, headers: Record<string, string>): boolean {
  return method !== 'HEAD' && status >= 200 && status < 300 && status !== 204 && status !== 205 && isType(headers['content-type'])
}

const isEventStream = (contentType: string | undefined) => EVENT_STREAM_TYPE.test(contentType ?? '')

/** The raw bytes of each SSE event of a pass-through answer, bounded like the vendor routes' (a stream of any API: none is required to end one way). */
async function* rawEvents(response: Parameters<typeof sseEvents>[0], url: string, maxEventBytes: number): AsyncIterable<Buffer> {
  for await (const { raw } of sseEvents(response, { url, maxEventBytes, isComplete: () => true })) yield raw
}

/**
 * Sends the request upstream as the plugins left it, with the vendor's key
 * instead of the app's; the answer is relayed raw by the respond stage (a
 * JSON one read whole first when response-body hooks are bound, an event
 * stream split into events when chunk hooks are), unless the upstream refused
 * that key (UPSTREAM_ERROR, 502).
 */
export const relayUpstream: Stage = async (x, next) => {
  const llm = x.llm!
  const { request } = x
  // The request id the gateway logs and answers with, as on the vendor routes (not one it refused as malformed).
  const headers: Record<string, string> = { ...forwardedRequestHeaders(request.headers), 'x-request-id': x.requestId }
  if (llm.vendor === 'anthropic') Object.assign(headers, { 'x-api-key': llm.apiKey, 'anthropic-version': headers['anthropic-version'] ?? '2023-06-01' })
  else headers.authorization = `Bearer ${llm.apiKey}`
  // Configured base URLs of OpenAI-style vendors end in /v1; the path below the slug repeats it.
  const base = llm.vendor === 'openai' ? llm.baseUrl.replace(/\/v1$/, '') : llm.baseUrl
  const url = `${base}${x.upstreamPath}${request.query ? `?${request.query}` : ''}`
  const response = await sendUpstream({
    llm,
    url,
    method: request.method as Dispatcher.HttpMethod,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
    signal: x.signal,
    timeoutMs: x.state.config.server.upstreamTimeoutMs,
    limits: x.state.config.server,
  })
  // A refused vendor key is the gateway's problem, and the raw answer may quote the key: an UPSTREAM_ERROR, as on the vendor routes.
  if (refusedCredential(response.statusCode)) throw await upstreamError(response, openAiErrorMessage, llm.apiKey)
  const answerHeaders = relayedResponseHeaders(response.headers)
  // A JSON answer goes through the response-body hooks and an event stream through the chunk hooks, as on the
  // vendor routes: a redactor of completions cannot be dodged by a path the gateway does not model (`…/chat/completions/`).
  const { config } = x.state
  const { chains } = x
  const status = response.statusCode
  if (chains.responseBody.size > 0 && hasBody(isJsonType, request.method, status, answerHeaders)) {
    const { bytes } = await readUpstreamJson(response, { url, maxBytes: config.server.upstreamMaxResponseBytes })
    x.response = { kind: 'json', status, headers: answerHeaders, body: bytes }
  } else if (chains.responseChunks.size > 0 && hasBody(isEventStream, request.method, status, answerHeaders)) {
    x.response = { kind: 'raw', status, headers: answerHeaders, body: response.body, events: rawEvents(response, url, config.server.upstreamMaxEventBytes) }
  } else {
    x.response = { kind: 'raw', status, headers: answerHeaders, body: response.body }
  }
  await next()
}
