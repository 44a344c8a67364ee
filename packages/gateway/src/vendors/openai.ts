import { sseData, type SseEvent } from '../sse.js'
import { fromResponsesResponse, ResponsesStreamReader } from './responses-translate.js'
import type { NativeEvent, NativeVendorResponse, Vendor, VendorCall, VendorResponse } from './vendor.js'
import { eventDataType, openAiErrorMessage, parseUpstreamJson, readUpstreamJson, sendUpstream, sseEvents, upstreamError } from './upstream.js'

const DONE = Buffer.from(sseData('[DONE]'))
const RESPONSE_ENDS: ReadonlySet<unknown> = new Set(['response.completed', 'response.incomplete'])

/**
 * The last event of a Responses stream: its data's type says so, as the
 * reader reads it (parsed only for an event named so, or unnamed: a server
 * that sends no names).
 */
const isResponseEnd = (event: SseEvent) => (RESPONSE_ENDS.has(event.event) || event.event === 'message') && RESPONSE_ENDS.has(eventDataType(event.data))

function headersOf(response: { headers: Record<string, string | string[] | undefined> }): Record<string, string> {
  const contentType = response.headers['content-type']
  return { 'content-type': Array.isArray(contentType) ? contentType[0]! : (contentType ?? 'application/json') }
}

/** Posts the call's body as it is; an error answer is thrown with OpenAI's message. */
async function send(call: VendorCall, url: string) {
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
  return response
}

async function post(call: VendorCall, path: string): Promise<VendorResponse> {
  const url = `${call.llm.baseUrl}${path}`
  const response = await send(call, url)
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

/** A Responses request as it is, to an LLM that serves `/responses`; its answer read into the canonical form beside its bytes. */
async function postResponses(call: VendorCall): Promise<NativeVendorResponse> {
  const url = `${call.llm.baseUrl}/responses`
  const response = await send(call, url)
  if (call.body.stream !== true) {
    const { bytes, json } = await readUpstreamJson(response, { url, maxBytes: call.limits.upstreamMaxResponseBytes })
    return { kind: 'json', status: response.statusCode, headers: headersOf(response), body: Buffer.from(JSON.stringify(fromResponsesResponse(json, url))), native: bytes }
  }
  const reader = new ResponsesStreamReader(url)
  async function* events(): AsyncIterable<NativeEvent> {
    for await (const { raw, event } of sseEvents(response, { url, maxEventBytes: call.limits.upstreamMaxEventBytes, isComplete: isResponseEnd })) {
      const canonical = reader.read(event).map((chunk) => Buffer.from(sseData(JSON.stringify(chunk))))
      if (reader.done) canonical.push(DONE)
      yield { native: raw, canonical }
    }
  }
  return { kind: 'native-stream', status: response.statusCode, headers: { 'content-type': 'text/event-stream' }, events: events() }
}

/**
 * OpenAI and every OpenAI-compatible server (vLLM, Ollama, Azure's compatible
 * endpoint, …): requests pass through; Responses requests too, to the LLMs
 * that serve the Responses API (`nativeApis`).
 */
export const openAiVendor: Vendor = {
  chat: (call) => post(call, '/chat/completions'),
  embeddings: (call) => post(call, '/embeddings'),
  native: (_api, call) => postResponses(call),
}
