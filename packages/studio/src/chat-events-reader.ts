/** One server-sent event of a chat reply: its name and its parsed JSON data. */
export interface StreamedChatEvent {
  event: string
  // The events' data are JSON of several shapes; tests assert on them.
  data: any
}

/**
 * Reads a chat reply's server-sent events as they arrive (the answer of
 * `POST /api/v1/chat/conversations/{id}/messages`); `onEvent` may stop
 * reading mid-stream by answering true. Resolves with the events read.
 */
export async function readChatEvents(response: Response, onEvent?: (event: StreamedChatEvent) => boolean | void): Promise<StreamedChatEvent[]> {
  const events: StreamedChatEvent[] = []
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return events
    buffered += value
    let end: number
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)![1]!
      const parsed = { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) }
      events.push(parsed)
      if (onEvent?.(parsed)) {
        await reader.cancel()
        return events
      }
    }
  }
}
