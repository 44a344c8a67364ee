import type { Redactor } from './redactor.js'
import { EventSplitter, dataEvent, eventData } from './sse.js'

type Json = Record<string, unknown>
interface ChunkChoice {
  index?: number
  delta: { content: string } & Json
  finish_reason?: string | null
}

/**
 * Redacts one OpenAI chat-completion SSE stream as it passes, event by event.
 *
 * Text that could still grow into a match is held back per choice and sent
 * later in a rewritten event, so an email or phone number split across chunks
 * never reaches the client in pieces. Held text is flushed, as an extra event
 * shaped like the last content event, before any event that is not content
 * (finish, usage, `[DONE]`) and at the end of the stream.
 */
export class StreamRedactor {
  /** Redactions made so far in this stream. */
  redactions = 0
  readonly startedAt = Date.now()
  readonly #decoder = new TextDecoder()
  readonly #held = new Map<number, string>()
  readonly #events = new EventSplitter()
  #shape: Json = {}

  constructor(private readonly redactor: Redactor) {}

  /** Takes the next chunk of the stream and returns what to send in its place (possibly ""). */
  push(data: Uint8Array): string {
    return this.#events
      .push(this.#decoder.decode(data, { stream: true }))
      .map((event) => this.#event(event))
      .join('')
  }

  /** Ends the stream: returns everything still held, redacted. */
  end(): string {
    const rest = this.#events.end() + this.#decoder.decode()
    return this.#flush() + this.#redact(rest)
  }

  #event(block: string): string {
    const data = eventData(block)
    if (data === undefined) return block
    const chunk = parseObject(data)
    if (!chunk) return this.#flush() + this.#redact(block)
    const choices = (Array.isArray(chunk.choices) ? chunk.choices : []).filter(isContentChoice)
    if (choices.length === 0) return this.#flush() + block

    this.#shape = chunk
    let changed = false
    for (const choice of choices) {
      const index = choice.index ?? 0
      const text = (this.#held.get(index) ?? '') + choice.delta.content
      // A choice's last content: nothing can follow it, so nothing is held.
      const { text: ready, held, count } = choice.finish_reason ? { ...this.redactor.redact(text), held: '' } : this.redactor.redactPrefix(text)
      this.redactions += count
      this.#held.set(index, held)
      if (ready !== choice.delta.content) {
        choice.delta.content = ready
        changed = true
      }
    }
    if (!changed) return block
    return carriesNothing(chunk) ? '' : dataEvent(JSON.stringify(chunk))
  }

  #flush(): string {
    const choices = [...this.#held]
      .filter(([, text]) => text !== '')
      .map(([index, text]) => ({ index, delta: { content: this.#redact(text) }, finish_reason: null }))
    this.#held.clear()
    if (choices.length === 0) return ''
    const { usage: _usage, ...shape } = this.#shape
    return dataEvent(JSON.stringify({ ...shape, choices }))
  }

  #redact(text: string): string {
    const { text: redacted, count } = this.redactor.redact(text)
    this.redactions += count
    return redacted
  }
}

function parseObject(data: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(data)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined
  } catch {
    return undefined
  }
}

function isContentChoice(choice: unknown): choice is ChunkChoice {
  const delta = (choice as { delta?: { content?: unknown } } | null)?.delta
  return typeof delta?.content === 'string'
}

/** True for an event left with only empty content: sending it would tell the client nothing. */
function carriesNothing(chunk: Json): boolean {
  const choices = chunk.choices as ChunkChoice[]
  return (
    chunk.usage == null &&
    choices.every((c) => isContentChoice(c) && c.delta.content === '' && !c.finish_reason && Object.keys(c.delta).length === 1)
  )
}
