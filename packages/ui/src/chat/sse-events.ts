/** One server-sent event: its name and its data (the `data:` lines joined). */
export interface SseMessage {
  event: string
  data: string
}

/**
 * Splits server-sent event text as it arrives: push each decoded chunk, get
 * the events it completed (an event may span chunks; lines end in LF or CRLF).
 */
export class SseParser {
  #buffered = ''

  push(text: string): SseMessage[] {
    this.#buffered += text.replace(/\r\n?/g, '\n')
    const events: SseMessage[] = []
    let end: number
    while ((end = this.#buffered.indexOf('\n\n')) !== -1) {
      const block = this.#buffered.slice(0, end)
      this.#buffered = this.#buffered.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':')
        if (colon === 0) continue
        const field = colon === -1 ? line : line.slice(0, colon)
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') })
    }
    return events
  }
}

/** Reads a response body of server-sent events, calling `onEvent` for each as soon as it is complete. */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (message: SseMessage) => void): Promise<void> {
  const reader = body.getReader()
  // Streaming decode: a character cut between two chunks is decoded once whole.
  const decoder = new TextDecoder()
  const parser = new SseParser()
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    for (const message of parser.push(decoder.decode(value, { stream: true }))) onEvent(message)
  }
}
