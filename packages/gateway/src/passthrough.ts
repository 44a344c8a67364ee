import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { requireLlmAllowed } from './api-keys.js'
import { authenticate } from './authenticate.js'
import { llmBySlug } from './config.js'
import { GatewayError } from './errors.js'
import { flatHeaders, hookRequest, readBody, sendBytes } from './http-io.js'
import type { ProxyState } from './proxy.js'
import { sendUpstream } from './vendors/upstream.js'

/** Request headers never forwarded upstream: the app's credential and hop-by-hop headers. */
const DROPPED_REQUEST_HEADERS = new Set(['authorization', 'x-api-key', 'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])

/**
 * Raw pass-through to an OpenAI-compatible or Anthropic LLM for the paths the
 * gateway does not model (`/llm/{slug}/v1/…`): the app authenticates with its
 * own key, pre-auth hooks and the response-headers hooks run, and the vendor's
 * key replaces the app's. The body is relayed as it streams.
 */
export async function passThrough(
  call: { req: IncomingMessage; res: ServerResponse; url: URL; requestId: string; signal: AbortSignal },
  state: ProxyState,
  slug: string,
  rest: string,
): Promise<void> {
  const llm = llmBySlug(state.config, slug)
  if (llm.vendor === 'mock') throw new GatewayError('ROUTE_NOT_FOUND', `the mock LLM "${slug}" serves only chat/completions and embeddings`)
  let request = hookRequest(call.req, call.url, await readBody(call.req, state.config.server.maxBodyBytes))
  const pre = await state.chains.preAuth.runPreAuth(call.requestId, request, call.signal)
  if (pre.kind === 'block') return sendBytes(call.res, pre.status, { ...pre.headers, 'x-request-id': call.requestId }, pre.body)
  request = pre.request
  const { app } = await authenticate(state, call.requestId, request, call.signal)
  requireLlmAllowed(app, llm.slug)
  const headers = flatHeaders(request.headers, DROPPED_REQUEST_HEADERS)
  if (llm.vendor === 'anthropic') Object.assign(headers, { 'x-api-key': llm.apiKey, 'anthropic-version': headers['anthropic-version'] ?? '2023-06-01' })
  else headers.authorization = `Bearer ${llm.apiKey}`
  // Configured base URLs of OpenAI-style vendors end in /v1; the path below the slug repeats it.
  const base = llm.vendor === 'openai' ? llm.baseUrl.replace(/\/v1$/, '') : llm.baseUrl
  const response = await sendUpstream({
    llm,
    url: `${base}${rest}${call.url.search}`,
    method: request.method as Dispatcher.HttpMethod,
    headers,
    body: ['GET', 'HEAD'].includes(request.method) ? undefined : request.body,
    signal: call.signal,
    timeoutMs: state.config.server.upstreamTimeoutMs,
    limits: state.config.server,
  })
  const upstreamHeaders = flatHeaders(response.headers, DROPPED_RESPONSE_HEADERS)
  const context = { requestId: call.requestId, app, llm: llm.slug, model: '', streaming: false, metadata: pre.metadata }
  const head = await state.chains.responseHeaders.runResponseHeaders({ context, status: response.statusCode, headers: upstreamHeaders }, call.signal)
  call.res.writeHead(head.status, { ...head.headers, 'x-request-id': call.requestId })
  for await (const chunk of response.body) call.res.write(chunk)
  call.res.end()
}
