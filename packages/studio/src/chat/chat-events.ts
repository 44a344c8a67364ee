import type { pluginv1 } from '@plugboard/proto'

/** One event of a reply as it streams to the browser (each an SSE event of that name, its data JSON). */
export type ChatEvent =
  | { type: 'content'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown }
  | { type: 'tool_result'; id: string; result: unknown; isError: boolean }
  | { type: 'error'; code: string; message: string }
  | { type: 'done' }

/** What a stored assistant message keeps beside its text (`conversation_messages.parts`), in arrival order. */
export type ReplyPart = Exclude<ChatEvent, { type: 'content' } | { type: 'done' }>

/** JSON a plugin sent as bytes; what is not JSON is kept as its text rather than lost. */
function jsonOf(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return null
  const text = Buffer.from(bytes).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** An agent's chunk as a chat event (undefined for an empty chunk). */
export function agentChunkEvent({ chunk }: pluginv1.AgentChunk): ChatEvent | undefined {
  switch (chunk?.$case) {
    case 'content':
      return { type: 'content', text: chunk.value }
    case 'thinking':
      return { type: 'thinking', text: chunk.value }
    case 'toolCall':
      return { type: 'tool_call', id: chunk.value.id, name: chunk.value.name, arguments: jsonOf(chunk.value.argumentsJson) }
    case 'toolResult':
      return { type: 'tool_result', id: chunk.value.id, result: jsonOf(chunk.value.resultJson), isError: chunk.value.isError }
    case 'error':
      return { type: 'error', code: chunk.value.code || 'CHAT_REPLY_FAILED', message: chunk.value.message }
    case 'done':
      return { type: 'done' }
    default:
      return undefined
  }
}

/**
 * The assistant message as far as it arrived: its text and its parts, with
 * consecutive thinking merged into one part. What is stored, whether the reply
 * completed, failed or was cut off.
 */
export class ReplyRecord {
  content = ''
  readonly parts: ReplyPart[] = []
  /** Characters stored so far: the content's and each part's JSON. */
  size = 0

  add(event: ChatEvent): void {
    if (event.type === 'content') {
      this.content += event.text
      this.size += event.text.length
    } else if (event.type === 'done') return
    else {
      this.size += event.type === 'thinking' ? event.text.length : JSON.stringify(event).length
      const last = this.parts.at(-1)
      if (event.type === 'thinking' && last?.type === 'thinking') last.text += event.text
      else this.parts.push({ ...event })
    }
  }

  get failed(): boolean {
    return this.parts.some((part) => part.type === 'error')
  }
}
