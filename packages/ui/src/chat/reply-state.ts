import type { ChatEvent, ReplyPart } from '@plugboard/studio/api-types'

/** An assistant message as the page shows it: its text and its parts, while it streams or once stored. */
export interface ReplyView {
  content: string
  parts: ReplyPart[]
}

/** The reply with one more streamed event: text appended, consecutive thinking merged, as Studio stores it. */
export function withEvent(reply: ReplyView, event: ChatEvent): ReplyView {
  if (event.type === 'content') return { ...reply, content: reply.content + event.text }
  if (event.type === 'done') return reply
  const last = reply.parts.at(-1)
  if (event.type === 'thinking' && last?.type === 'thinking') return { ...reply, parts: [...reply.parts.slice(0, -1), { ...last, text: last.text + event.text }] }
  return { ...reply, parts: [...reply.parts, event] }
}
