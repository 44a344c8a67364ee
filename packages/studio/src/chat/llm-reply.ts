import { SseSplitter } from '@plugboard/gateway'
import type { ProxiedCompletion } from '../plugins/service-api.js'
import type { ChatEvent } from './chat-events.js'

/** A streamed chat completion for LLM `llm` (slug) on behalf of user `userId`, sent through the gateway pipeline; `signal` cancels it. */
export type ChatCompletion = (llm: string, body: Record<string, unknown>, signal: AbortSignal, userId: string) => Promise<ProxiedCompletion>

/** How much of a failed completion's body is read for its error. */
const MAX_ERROR_BODY = 64 * 1024

async function* chunksOf(body: ProxiedCompletion['body']): AsyncIterable<Buffer> {
  if (Buffer.isBuffer(body)) yield body
  else yield* body
}

async function errorOf(status: number, body: ProxiedCompletion['body']): Promise<ChatEvent> {
  let text = ''
  for await (const chunk of chunksOf(body)) {
    text += chunk.toString('utf8')
    if (text.length > MAX_ERROR_BODY) break
  }
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    if (typeof error?.message === 'string') return { type: 'error', code: typeof error.code === 'string' ? error.code : 'CHAT_REPLY_FAILED', message: error.message }
  } catch {
    // not the gateway's JSON error: said below
  }
  return { type: 'error', code: 'CHAT_REPLY_FAILED', message: `the LLM answered ${status}` }
}

/**
 * A plain LLM's reply: the conversation as OpenAI chat messages, streamed
 * through the gateway (its hooks, budgets and analytics), each delta's text a
 * `content` event; the gateway's error (a budget exceeded, the LLM down) is the
 * reply's `error` event with the gateway's code.
 */
export async function* llmReply(completion: ChatCompletion, llm: string, userId: string, messages: Array<{ role: string; content: string }>, signal: AbortSignal): AsyncIterable<ChatEvent> {
  const response = await completion(llm, { messages, stream: true }, signal, userId)
  if (response.status !== 200) {
    yield await errorOf(response.status, response.body)
    return
  }
  const splitter = new SseSplitter()
  // The reply ends at [DONE] or an error event, yet the body is read to its end (the gateway ends it
  // right behind, once its hooks saw the stream's end): a body given up sooner drops the connection,
  // and the gateway records a request whose client left — aborted.
  let ended = false
  let failure: ChatEvent | undefined
  for await (const chunk of chunksOf(response.body)) {
    if (ended) continue
    for (const { event } of splitter.push(chunk)) {
      if (event.data === '[DONE]') {
        ended = true
        break
      }
      const parsed = JSON.parse(event.data) as { choices?: Array<{ delta?: { content?: unknown } }>; error?: { code?: string; message?: string } }
      if (parsed.error) {
        failure = { type: 'error', code: parsed.error.code ?? 'CHAT_REPLY_FAILED', message: parsed.error.message ?? 'the LLM failed mid-stream' }
        ended = true
        break
      }
      const text = parsed.choices?.[0]?.delta?.content
      if (typeof text === 'string' && text) yield { type: 'content', text }
    }
  }
  if (failure) yield failure
}
