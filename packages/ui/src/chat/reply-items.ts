import type { ReplyPart } from '@plugboard/studio/api-types'

/** What a reply shows beside its text, in order: thinking, and each tool call with its result once it came. */
export type ReplyItem =
  | { kind: 'thinking'; text: string }
  /** `call` is absent for a result whose call never came; `result` while the call runs. */
  | { kind: 'tool'; id: string; call?: { name: string; arguments: unknown }; result?: { value: unknown; isError: boolean } }

type ToolItem = Extract<ReplyItem, { kind: 'tool' }>

/**
 * A reply's parts as the page lays them out: a tool result joins its call
 * (same id, the latest call without a result), so each tool shows its name,
 * its arguments and what it answered together. Errors are left out: the page
 * shows them after the text.
 */
export function replyItems(parts: ReplyPart[]): ReplyItem[] {
  const items: ReplyItem[] = []
  for (const part of parts) {
    if (part.type === 'thinking') items.push({ kind: 'thinking', text: part.text })
    else if (part.type === 'tool_call') items.push({ kind: 'tool', id: part.id, call: { name: part.name, arguments: part.arguments } })
    else if (part.type === 'tool_result') {
      const result = { value: part.result, isError: part.isError }
      const open = (item: ReplyItem): item is ToolItem => item.kind === 'tool' && item.id === part.id && item.call !== undefined && !item.result
      const call = [...items].reverse().find(open)
      if (call) call.result = result
      else items.push({ kind: 'tool', id: part.id, result })
    }
  }
  return items
}

/** A tool's arguments or result as text: a string as it is, anything else as indented JSON. */
export function toolText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2)
}
