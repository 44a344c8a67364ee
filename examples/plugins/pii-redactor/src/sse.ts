const BOUNDARY = /\r?\n\r?\n/

/**
 * Splits server-sent-event text that arrives in pieces into complete event
 * blocks, each with its terminating blank line. An incomplete event is kept as
 * its pieces and joined only once its end has come, so an event that spans many
 * pieces costs time linear in its size (joining and rescanning it at every
 * piece was quadratic: 3 s for one 2 MB event in 1 KB pieces).
 */
export class EventSplitter {
  #pieces: string[] = []
  /** The last characters held: a boundary ("\r\n\r\n") can start in them and end in the next piece. */
  #tail = ''

  /** The events that `text` completes, in order (often none). */
  push(text: string): string[] {
    if (!BOUNDARY.test(this.#tail + text)) {
      this.#pieces.push(text)
      this.#tail = (this.#tail + text).slice(-3)
      return []
    }
    const joined = this.#pieces.join('') + text
    const events: string[] = []
    let start = 0
    for (const match of joined.matchAll(new RegExp(BOUNDARY, 'g'))) {
      events.push(joined.slice(start, match.index + match[0].length))
      start = match.index + match[0].length
    }
    const rest = joined.slice(start)
    this.#pieces = rest ? [rest] : []
    this.#tail = rest.slice(-3)
    return events
  }

  /** Ends the text: what is held, an event that never got its blank line (or ""). */
  end(): string {
    const rest = this.#pieces.join('')
    this.#pieces = []
    this.#tail = ''
    return rest
  }
}

/** The `data:` lines of one event block joined by "\n", or undefined when it has none (a comment). */
export function eventData(block: string): string | undefined {
  const data = block
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
  return data.length > 0 ? data.join('\n') : undefined
}

/** Formats one `data:` event. */
export function dataEvent(data: string): string {
  return `data: ${data}\n\n`
}
