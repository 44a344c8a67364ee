import { createHash } from 'node:crypto'
import type { JsonValue } from '@plugboard/sdk'

/** Request fields that do not change the response: `user` only tags the end user, and `stream` is carried by `streaming`. */
const IGNORED_FIELDS = new Set(['user', 'stream'])

/** JSON with object keys sorted at every level, so equal values serialize equally. */
function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * The cache key of a request: SHA-256 (hex) of the LLM it goes to, its path,
 * whether it streams (cached bytes are SSE or JSON), and its JSON body without
 * the fields that do not change the response, with keys in a fixed order.
 */
export function cacheKey(request: { llm: string; path: string; streaming: boolean; body: { [key: string]: JsonValue } }): string {
  const body = Object.fromEntries(Object.entries(request.body).filter(([key]) => !IGNORED_FIELDS.has(key)))
  const material = canonicalJson({ llm: request.llm, path: request.path, streaming: request.streaming, body })
  return createHash('sha256').update(material).digest('hex')
}
