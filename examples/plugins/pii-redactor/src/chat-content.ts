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

function isTextPart(part: JsonValue): part is { type: 'text'; text: string } {
  return typeof part === 'object' && part !== null && !Array.isArray(part) && part.type === 'text' && typeof part.text === 'string'
}
