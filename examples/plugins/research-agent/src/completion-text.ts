import { PlugboardError } from '@plugboard/sdk'

/** How much of an LLM's error goes into the agent's message. */
const MAX_ERROR_CHARS = 300

type Delta = { choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>; error?: { message?: unknown; code?: unknown } }

/**
 * The text of a streamed OpenAI chat completion (the SSE bytes the gateway
 * sends), one piece per content delta as it arrives. Events may be split
 * anywhere across chunks, UTF-8 characters too. Rejects with
 * RESEARCH_LLM_FAILED when the stream carries an error event (the gateway's
 * way to end a stream that broke after it started), and with
 * RESEARCH_LLM_STREAM_CUT when it ends before `[DONE]` or a finish reason.
 */
export async function* completionText(body: AsyncIterable<Buffer>): AsyncIterable<string> {
  const decoder = new TextDecoder()
  let buffered = ''
  let finished = false
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffered.search(/\r?\n\r?\n/)) !== -1) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end).replace(/^\r?\n\r?\n/, '')
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n')
      if (data === '') continue
      if (data === '[DONE]') return
      let event: Delta
      try {
        event = JSON.parse(data) as Delta
      } catch (error) {
        throw new PlugboardError('RESEARCH_LLM_FAILED', `the LLM sent an event that is not JSON: ${data.slice(0, 100)}`, { cause: error })
      }
      if (event.error) {
        const code = typeof event.error.code === 'string' ? ` (${event.error.code})` : ''
        throw new PlugboardError('RESEARCH_LLM_FAILED', `the LLM failed mid-answer${code}: ${String(event.error.message ?? 'no message').slice(0, MAX_ERROR_CHARS)}`)
      }
      const choice = event.choices?.[0]
      if (typeof choice?.delta?.content === 'string' && choice.delta.content !== '') yield choice.delta.content
      if (typeof choice?.finish_reason === 'string') finished = true
    }
  }
  if (!finished) throw new PlugboardError('RESEARCH_LLM_STREAM_CUT', 'the LLM stream ended before the answer was complete')
}

/** The message of a non-200 completion answer (the OpenAI error shape, or the body itself), bounded. */
export function completionError(status: number, body: string): PlugboardError {
  let message = body
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown } }
    if (typeof parsed.error?.message === 'string') message = `${parsed.error.message}${typeof parsed.error.code === 'string' ? ` (${parsed.error.code})` : ''}`
  } catch {
    // Not JSON: the body is the message.
  }
  return new PlugboardError('RESEARCH_LLM_FAILED', `the LLM answered ${status}: ${message.slice(0, MAX_ERROR_CHARS)}`)
}
