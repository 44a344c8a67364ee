import type { Pricing } from './config.js'
import { DEFAULT_MAX_EVENT_BYTES, SseSplitter } from './sse.js'

export interface TokenUsage {
  promptTokens: number
  completionTokens: number
  totalTokens: number
}

/** Rough token count (4 characters a token) for when the upstream reports none. */
export function estimateTokens(text: string): number {
  return tokensOfChars(text.length)
}

/**
 * Rough prompt tokens of an OpenAI-format request body: what vendors bill as
 * prompt, its messages with the tool definitions and response schema (chat),
 * or its input (embeddings). Tools count: a request of short messages and a
 * large `tools` list would otherwise reserve next to nothing of the budget.
 */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let chars = JSON.stringify(body.messages ?? body.input ?? '').length
  for (const billed of [body.tools, body.functions, body.response_format]) if (billed !== undefined) chars += JSON.stringify(billed).length
  return tokensOfChars(chars)
}

/**
 * Rough prompt tokens of a body whose API the gateway does not model (the
 * pass-through): all of it, since any field may be prompt (`prompt`,
 * `instructions`, Anthropic's `system`, …) and the budget reserves the most a
 * request may cost.
 */
export function estimateBodyTokens(body: Record<string, unknown>): number {
  return estimateTokens(JSON.stringify(body))
}

function tokensOfChars(chars: number): number {
  return Math.ceil(chars / 4)
}

/**
 * The most completion tokens a request may produce: its own limit
 * (`max_completion_tokens`, `max_tokens`, or the Responses API's
 * `max_output_tokens`) or else `fallback`, times the `n` choices it asks for.
 */
export function maxCompletionTokensOf(body: Record<string, unknown>, fallback: number): number {
  const limit = positiveInteger(body.max_completion_tokens) ?? positiveInteger(body.max_tokens) ?? positiveInteger(body.max_output_tokens) ?? fallback
  return limit * (positiveInteger(body.n) ?? 1)
}

function positiveInteger(value: unknown): number | undefined {
  return Number.isInteger(value) && (value as number) > 0 ? (value as number) : undefined
}

/** Usage as OpenAI chat completions report it (`prompt_tokens`…), or as the Responses and Anthropic APIs do (`input_tokens`…). */
function fromOpenAi(usage: unknown): TokenUsage | undefined {
  const u = usage as { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number; input_tokens?: number; output_tokens?: number } | undefined
  const promptTokens = u?.prompt_tokens ?? u?.input_tokens
  if (typeof promptTokens !== 'number') return undefined
  const completionTokens = u!.completion_tokens ?? u!.output_tokens ?? 0
  return { promptTokens, completionTokens, totalTokens: u!.total_tokens ?? promptTokens + completionTokens }
}

type Delta = { content?: unknown; tool_calls?: Array<{ function?: { arguments?: unknown } } | null> }

/** Characters a streamed delta adds: its content and its tool calls' argument text. */
function charsOf(delta: Delta | undefined): number {
  let chars = typeof delta?.content === 'string' ? delta.content.length : 0
  for (const call of delta?.tool_calls ?? []) {
    const args = call?.function?.arguments
    if (typeof args === 'string') chars += args.length
  }
  return chars
}

/** Usage of a whole JSON completion or embeddings body. */
export function usageOfBody(body: Buffer): TokenUsage | undefined {
  try {
    return fromOpenAi((JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage)
  } catch {
    return undefined
  }
}

/**
 * Follows a stream of SSE chunks as sent to the client: takes the upstream's
 * usage when a chunk carries it, else estimates completion tokens from the
 * streamed content and tool call arguments. Keeps only counts, and at most one
 * event of `maxEventBytes` while it is split across chunks: past that (a
 * plugin's chunk no upstream limit bounds) it stops following, with what it
 * counted so far.
 */
export class StreamUsage {
  #splitter: SseSplitter | undefined
  #reported: TokenUsage | undefined
  #contentChars = 0

  /** `promptTokens` is asked for only when the upstream reported no usage. */
  constructor(
    private readonly promptTokens: () => number,
    maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
  ) {
    this.#splitter = new SseSplitter(maxEventBytes)
  }

  push(chunk: Buffer): void {
    if (!this.#splitter) return
    let events
    try {
      events = this.#splitter.push(chunk)
    } catch {
      this.#splitter = undefined
      return
    }
    for (const { event } of events) {
      if (!event.data.startsWith('{')) continue
      try {
        const parsed = JSON.parse(event.data) as { usage?: unknown; choices?: Array<{ delta?: Delta }> }
        this.#reported = fromOpenAi(parsed.usage) ?? this.#reported
        for (const choice of parsed.choices ?? []) this.#contentChars += charsOf(choice?.delta)
      } catch {
        // a chunk a plugin rewrote into something else: nothing to count
      }
    }
  }

  get usage(): TokenUsage {
    if (this.#reported) return this.#reported
    const completionTokens = tokensOfChars(this.#contentChars)
    const promptTokens = this.promptTokens()
    return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens }
  }
}

/** USD cost of a call under the model's price (per million tokens); 0 when the model has no price. */
export function costOf(usage: TokenUsage, pricing: Pricing | undefined): number {
  if (!pricing) return 0
  return (usage.promptTokens * pricing.input + usage.completionTokens * pricing.output) / 1_000_000
}
