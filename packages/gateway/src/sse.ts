/** One server-sent event: its `event:` name (default "message") and its joined `data:` lines. */
export interface SseEvent {
  event: string
  data: string
}

/**
 * Splits a byte stream into complete server-sent events. Push chunks as they
 * arrive (an event may span chunks, a chunk may hold many events); each call
 * returns the events completed so far, as raw bytes (to forward unchanged) and parsed.
 */
export class SseSplitter {
  #pending = ''

  push(chunk: Buffer | string): Array<{ raw: string; event: SseEvent }> {
    this.#pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    const events: Array<{ raw: string; event: SseEvent }> = []
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.#pending)
      if (!match) break
      const raw = this.#pending.slice(0, match.index + match[0].length)
      this.#pending = this.#pending.slice(match.index + match[0].length)
      const event = parseSseEvent(raw)
      if (event) events.push({ raw, event })
    }
    return events
  }
}

/** Parses one event block; undefined for a block with only comments. */
export function parseSseEvent(block: string): SseEvent | undefined {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  return data.length || event !== 'message' ? { event, data: data.join('\n') } : undefined
}

/** Formats an SSE `data:` event. */
export function sseData(data: string): string {
  return `data: ${data}\n\n`
}
