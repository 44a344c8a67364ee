import type { JsonValue } from '@plugboard/sdk'
import type { Redactor } from './redactor.js'

/**
 * Redacts an OpenAI chat message `content`: a string, or an array of content
 * parts whose `type: "text"` parts are redacted (images and audio are left
 * alone). Anything else is returned unchanged.
 */
export function redactContent(content: JsonValue | undefined, redactor: Redactor): { content: JsonValue | undefined; count: number } {
  if (typeof content === 'string') {
    const { text, count } = redactor.redact(content)
    return { content: text, count }
  }
  if (!Array.isArray(content)) return { content, count: 0 }
  let total = 0
  const parts = content.map((part) => {
    if (!isTextPart(part)) return part
    const { text, count } = redactor.redact(part.text)
    total += count
    return { ...part, text }
  })
  return { content: parts, count: total }
}

/**
 * Redacts a prompt in any shape the routed APIs give one: a string (`input`,
 * `prompt`, `instructions`, Anthropic's `system`), a text part (`text`, or the
 * Responses API's `input_text`), a message or input item with a `content`, or
 * a list of these. Token arrays, images and audio are returned unchanged.
 */
export function redactPrompt(value: JsonValue | undefined, redactor: Redactor): { value: JsonValue | undefined; count: number } {
  if (typeof value === 'string') {
    const { text, count } = redactor.redact(value)
    return { value: text, count }
  }
  if (Array.isArray(value)) {
    let total = 0
    const items = value.map((item) => {
      const { value: redacted, count } = redactPrompt(item, redactor)
      total += count
      return redacted!
    })
    return { value: items, count: total }
  }
  if (isTextPart(value)) {
    const { text, count } = redactor.redact(value.text)
    return { value: { ...value, text }, count }
  }
  if (typeof value === 'object' && value !== null && value.content !== undefined) {
    const { value: content, count } = redactPrompt(value.content, redactor)
    return { value: { ...value, content: content! }, count }
  }
  return { value, count: 0 }
}

function isTextPart(part: JsonValue | undefined): part is { type: 'text' | 'input_text'; text: string } {
  return typeof part === 'object' && part !== null && !Array.isArray(part) && (part.type === 'text' || part.type === 'input_text') && typeof part.text === 'string'
}
