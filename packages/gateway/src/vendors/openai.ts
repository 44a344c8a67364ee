import type { VendorCall, Vendor, VendorResponse } from './vendor.js'
import { openAiErrorMessage, parseUpstreamJson, readUpstreamJson, sendUpstream, sseEvents, upstreamError } from './upstream.js'

function headersOf(response: { headers: Record<string, string | string[] | undefined> }): Record<string, string> {
  const contentType = response.headers['content-type']
  return { 'content-type': Array.isArray(contentType) ? contentType[0]! : (contentType ?? 'application/json') }
}

async function post(call: VendorCall, path: string): Promise<VendorResponse> {
  const url = `${call.llm.baseUrl}${path}`
  const response = await sendUpstream({
    llm: call.llm,
    url,
    headers: { ...call.headers, 'content-type': 'application/json', authorization: `Bearer ${call.llm.apiKey}`, 'x-request-id': call.requestId },
    body: call.rawBody,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
    limits: call.limits,
  })
  if (response.statusCode >= 400) throw await upstreamError(response, openAiErrorMessage, call.llm.apiKey)
  if (call.body.stream === true && path === '/chat/completions') {
    async function* events(): AsyncIterable<Buffer> {
      for await (const { raw, event } of sseEvents(response, { url, maxEventBytes: call.limits.upstreamMaxEventBytes, isComplete: (e) => e.data === '[DONE]' })) {
        // Every event but the end must be JSON: anything else would reach the app as a chunk it cannot parse.
        if (event.data !== '[DONE]') parseUpstreamJson(event.data, url, 'a stream event')
        yield raw
      }
    }
    return { kind: 'stream', status: response.statusCode, headers: { 'content-type': 'text/event-stream' }, events: events() }
  }
  const { bytes } = await readUpstreamJson(response, { url, maxBytes: call.limits.upstreamMaxResponseBytes })
  return { kind: 'json', status: response.statusCode, headers: headersOf(response), body: bytes }
}

/** OpenAI and every OpenAI-compatible server (vLLM, Ollama, Azure's compatible endpoint, …): requests pass through. */
export const openAiVendor: Vendor = {
  chat: (call) => post(call, '/chat/completions'),
  embeddings: (call) => post(call, '/embeddings'),
}
