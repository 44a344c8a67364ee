/** `usage.total_tokens` of an OpenAI completion or chunk, when it reports one. */
export function totalTokens(response: unknown): number | undefined {
  const total = (response as { usage?: { total_tokens?: unknown } } | null)?.usage?.total_tokens
  return typeof total === 'number' && Number.isFinite(total) && total >= 0 ? total : undefined
}

/** Rough token count of generated text, for streams that report no usage: about four characters a token. */
const estimate = (chars: number): number => Math.ceil(chars / 4)

/**
 * Counts the tokens one streamed chat completion used. OpenAI reports exact
 * usage in a last chunk when the request sets `stream_options.include_usage`;
 * without it, the count is estimated from the generated text, so it leaves out
 * the prompt.
 */
export class StreamMeter {
  readonly startedAt = Date.now()
  #chars = 0
  #reported: number | undefined
  readonly #decoder = new TextDecoder()
  /** The line the last chunks began and did not end, in pieces: joined once its end comes. */
  #partial: string[] = []

  /**
   * Reads the SSE events in one chunk of the stream. A line (or a UTF-8
   * character) split across chunks is read once whole; split, neither half
   * parsed and its content went uncounted.
   */
  add(chunk: Buffer): void {
    const text = this.#decoder.decode(chunk, { stream: true })
    const end = text.lastIndexOf('\n')
    if (end === -1) {
      this.#partial.push(text)
      return
    }
    const complete = this.#partial.join('') + text.slice(0, end)
    this.#partial = [text.slice(end + 1)]
    for (const line of complete.split('\n')) {
      if (!line.startsWith('data:')) continue
      const event = parse(line.slice(5))
      this.#reported = totalTokens(event) ?? this.#reported
      const choices = Array.isArray(event?.choices) ? (event.choices as Array<{ delta?: { content?: unknown } } | null>) : []
      for (const choice of choices) {
        const content = choice?.delta?.content
        if (typeof content === 'string') this.#chars += content.length
      }
    }
  }

  /** Tokens used: as reported, or estimated. */
  get tokens(): number {
    return this.#reported ?? estimate(this.#chars)
  }
}

function parse(data: string): { choices?: unknown } | undefined {
  try {
    return JSON.parse(data) as { choices?: unknown }
  } catch {
    return undefined // "[DONE]" and anything else that is not JSON carries no usage
  }
}
