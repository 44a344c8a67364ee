/**
 * Splits server-sent-event text into complete event blocks, each with its
 * terminating blank line, and the incomplete rest (to prepend to what comes next).
 */
export function splitEvents(text: string): { events: string[]; rest: string } {
  const events: string[] = []
  const boundary = /\r?\n\r?\n/g
  let start = 0
  for (const match of text.matchAll(boundary)) {
    events.push(text.slice(start, match.index + match[0].length))
    start = match.index + match[0].length
  }
  return { events, rest: text.slice(start) }
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
