import { setTimeout as sleep } from 'node:timers/promises'
import { sseData } from '../sse.js'
import { estimatePromptTokens, estimateTokens } from '../usage.js'
import type { Vendor, VendorCall, VendorResponse } from './vendor.js'

const WORDS = ['plugboard', 'routes', 'every', 'request', 'through', 'its', 'plugins', 'before', 'the', 'model', 'answers']

function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : []
  const last = [...messages].reverse().find((m) => m.role === 'user')
  if (typeof last?.content === 'string') return last.content
  if (Array.isArray(last?.content)) return last.content.map((part: { text?: string }) => part.text ?? '').join(' ')
  return ''
}

/** The deterministic reply: an echo of the prompt's start, then fixed words up to the configured token count. */
function replyWords(body: Record<string, unknown>, tokens: number): string[] {
  const echo = lastUserText(body).split(/\s+/).filter(Boolean).slice(0, 5)
  const words = ['Mock', 'reply', 'to:', ...echo]
  for (let i = 0; words.length < tokens; i++) words.push(WORDS[i % WORDS.length]!)
  return words.slice(0, tokens).map((word, i) => (i === 0 ? word : ` ${word}`))
}

/**
 * The built-in `mock` vendor: deterministic replies with configurable latency,
 * token counts and chunking, so the whole system runs with no API key.
 */
export const mockVendor: Vendor = {
  async chat(call: VendorCall): Promise<VendorResponse> {
    const { mock } = call.llm
    const words = replyWords(call.body, mock.completionTokens)
    const promptTokens = estimatePromptTokens(call.body)
    const usage = { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length }
    const id = `chatcmpl-mock-${call.requestId}`
    const created = Math.floor(Date.now() / 1000)
    if (mock.latencyMs > 0) await sleep(mock.latencyMs, undefined, { signal: call.signal })
    if (call.body.stream !== true) {
      const completion = {
        id,
        object: 'chat.completion',
        created,
        model: call.model,
        choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop', logprobs: null }],
        usage,
      }
      return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(completion)) }
    }
    const includeUsage = (call.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
    const chunk = (delta: object, finishReason: string | null) =>
      sseData(JSON.stringify({ id, object: 'chat.completion.chunk', created, model: call.model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] }))
    async function* events(): AsyncIterable<string> {
      yield chunk({ role: 'assistant', content: '' }, null)
      const perChunk = Math.ceil(words.length / Math.max(1, mock.chunks))
      for (let i = 0; i < words.length; i += perChunk) {
        if (mock.chunkDelayMs > 0) await sleep(mock.chunkDelayMs, undefined, { signal: call.signal })
        yield chunk({ content: words.slice(i, i + perChunk).join('') }, null)
      }
      yield chunk({}, 'stop')
      if (includeUsage) yield sseData(JSON.stringify({ id, object: 'chat.completion.chunk', created, model: call.model, choices: [], usage }))
      yield sseData('[DONE]')
    }
    return { kind: 'stream', status: 200, headers: { 'content-type': 'text/event-stream' }, events: events() }
  },

  async embeddings(call: VendorCall): Promise<VendorResponse> {
    const inputs = Array.isArray(call.body.input) ? (call.body.input as unknown[]) : [call.body.input]
    const dimensions = typeof call.body.dimensions === 'number' ? call.body.dimensions : 8
    const data = inputs.map((input, index) => {
      const text = String(input)
      const embedding = Array.from({ length: dimensions }, (_, d) => Math.sin(text.length * (d + 1) + text.charCodeAt(d % Math.max(1, text.length)) || 0))
      return { object: 'embedding', index, embedding }
    })
    const promptTokens = estimateTokens(inputs.map(String).join(' '))
    const body = { object: 'list', data, model: call.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }
    return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) }
  },
}
