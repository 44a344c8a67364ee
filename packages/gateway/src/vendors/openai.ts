import type { VendorCall, Vendor, VendorResponse } from './vendor.js'
import { openAiErrorMessage, sendUpstream, sseEvents, upstreamError } from './upstream.js'

function headersOf(response: { headers: Record<string, string | string[] | undefined> }): Record<string, string> {
  const contentType = response.headers['content-type']
  return { 'content-type': Array.isArray(contentType) ? contentType[0]! : (contentType ?? 'application/json') }
}

async function post(call: VendorCall, path: string): Promise<VendorResponse> {
  const url = `${call.llm.baseUrl}${path}`
  const response = await sendUpstream({
    url,
    headers: { ...call.headers, 'content-type': 'application/json', authorization: `Bearer ${call.llm.apiKey}`, 'x-request-id': call.requestId },
    body: call.rawBody,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
  })
  if (response.statusCode >= 400) throw await upstreamError(response, openAiErrorMessage)
  if (call.body.stream === true && path === '/chat/completions') {
    async function* events(): AsyncIterable<string> {
      for await (const { raw } of sseEvents(response, url, (event) => event.data === '[DONE]')) yield raw
    }
    return { kind: 'stream', status: response.statusCode, headers: { 'content-type': 'text/event-stream' }, events: events() }
  }
  return { kind: 'json', status: response.statusCode, headers: headersOf(response), body: await response.body.bytes() }
}

/** OpenAI and every OpenAI-compatible server (vLLM, Ollama, Azure's compatible endpoint, …): requests pass through. */
export const openAiVendor: Vendor = {
  chat: (call) => post(call, '/chat/completions'),
  embeddings: (call) => post(call, '/embeddings'),
}
