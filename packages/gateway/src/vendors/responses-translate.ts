/**
 * OpenAI Responses answers read into the canonical chat-completions form: what
 * hooks, usage and the records see when a Responses request went to an LLM
 * that speaks the Responses API natively (the inverse of dialects/responses.ts).
 *
 * A Response -> a chat completion: `id`, `model`, `created_at` as `created`;
 * the text of the `output_text` parts of `message` items joined as `content`
 * (`refusal` parts as `refusal`); each `function_call` item a tool call
 * (`call_id` as its id); `finish_reason` `tool_calls` when there is a call,
 * else `length` for `incomplete` on `max_output_tokens`, `content_filter` on
 * `content_filter`, else `stop`; usage as prompt / completion / total tokens
 * with cached and reasoning tokens. Reasoning items and built-in tool calls
 * have no canonical form and are left out.
 *
 * Stream: `response.created` -> the role chunk; `response.output_text.delta`
 * -> content deltas; `response.refusal.delta` -> refusal deltas; a
 * `function_call` item added -> a tool call's first delta (id, name), its
 * `response.function_call_arguments.delta` -> argument deltas;
 * `response.completed` / `response.incomplete` -> the finish chunk and a
 * usage chunk, and the stream is done. `response.failed` and `error` end it
 * as a TranslateError-free GatewayError UPSTREAM_ERROR with the upstream's
 * message. Every other event gives nothing.
 */
import { GatewayError } from '../errors.js'
import type { ChatCompletion, ChatCompletionChunk, ChatFunctionToolCall, FinishReason, Usage } from '../openai-types.js'
import type { SseEvent } from '../sse.js'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown) => (typeof value === 'string' ? value : '')
const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0)

/** Responses' usage as canonical usage. */
function usageOf(usage: unknown): Usage {
  const source = isObject(usage) ? usage : {}
  const prompt = count(source.input_tokens)
  const completion = count(source.output_tokens)
  const cached = isObject(source.input_tokens_details) ? count(source.input_tokens_details.cached_tokens) : 0
  const reasoning = isObject(source.output_tokens_details) ? count(source.output_tokens_details.reasoning_tokens) : 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: count(source.total_tokens) || prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  }
}

function finishOf(response: Json, calledTools: boolean): FinishReason {
  if (calledTools) return 'tool_calls'
  if (response.status !== 'incomplete') return 'stop'
  const reason = isObject(response.incomplete_details) ? response.incomplete_details.reason : undefined
  return reason === 'content_filter' ? 'content_filter' : 'length'
}

function notAResponse(url: string, why: string): GatewayError {
  return new GatewayError('UPSTREAM_INVALID_RESPONSE', `${url} answered something that is not a Response: ${why}`)
}

/** A whole Response as a canonical chat completion; UPSTREAM_INVALID_RESPONSE when it is not a Response. */
export function fromResponsesResponse(response: unknown, url: string): ChatCompletion {
  if (!isObject(response) || !Array.isArray(response.output)) throw notAResponse(url, 'it has no output')
  let content = ''
  let refusal = ''
  const calls: ChatFunctionToolCall[] = []
  for (const item of response.output) {
    if (!isObject(item)) continue
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content) {
        if (isObject(part) && part.type === 'output_text') content += text(part.text)
        if (isObject(part) && part.type === 'refusal') refusal += text(part.refusal)
      }
    }
    if (item.type === 'function_call') {
      calls.push({ id: text(item.call_id), type: 'function', function: { name: text(item.name), arguments: text(item.arguments) } })
    }
  }
  return {
    id: text(response.id),
    object: 'chat.completion',
    created: count(response.created_at),
    model: text(response.model),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: content === '' && calls.length > 0 ? null : content, refusal: refusal || null, ...(calls.length > 0 && { tool_calls: calls }) },
        finish_reason: finishOf(response, calls.length > 0),
        logprobs: null,
      },
    ],
    usage: usageOf(response.usage),
  }
}

/** A Responses event stream read into canonical chunks, one instance per stream. */
export class ResponsesStreamReader {
  readonly #url: string
  #id = ''
  #model = ''
  #created = 0
  #done = false
  /** Output index of each function_call item -> its canonical tool call index. */
  readonly #tools = new Map<number, number>()

  constructor(url: string) {
    this.#url = url
  }

  /** True once the response completed (or ended incomplete): the caller appends `data: [DONE]`. */
  get done(): boolean {
    return this.#done
  }

  /** One upstream event in, zero or more canonical chunks out. */
  read(event: SseEvent): ChatCompletionChunk[] {
    let data: unknown
    try {
      data = JSON.parse(event.data)
    } catch {
      throw new GatewayError('UPSTREAM_INVALID_RESPONSE', `${this.#url} sent a stream event that is not JSON`)
    }
    if (!isObject(data)) throw new GatewayError('UPSTREAM_INVALID_RESPONSE', `${this.#url} sent a stream event that is not an object`)
    switch (data.type) {
      case 'response.created':
        this.#begin(data.response)
        return [this.#chunk({ role: 'assistant', content: '' })]
      case 'response.output_text.delta':
        return [this.#chunk({ content: text(data.delta) })]
      case 'response.refusal.delta':
        return [this.#chunk({ refusal: text(data.delta) })]
      case 'response.output_item.added': {
        const item = data.item
        if (!isObject(item) || item.type !== 'function_call') return []
        const index = this.#tools.size
        this.#tools.set(count(data.output_index), index)
        return [this.#chunk({ tool_calls: [{ index, id: text(item.call_id), type: 'function', function: { name: text(item.name), arguments: text(item.arguments) } }] })]
      }
      case 'response.function_call_arguments.delta': {
        const index = this.#tools.get(count(data.output_index))
        if (index === undefined) throw new GatewayError('UPSTREAM_INVALID_RESPONSE', `${this.#url} streamed arguments of a function call it never added`)
        return [this.#chunk({ tool_calls: [{ index, function: { arguments: text(data.delta) } }] })]
      }
      case 'response.completed':
      case 'response.incomplete': {
        const response = isObject(data.response) ? data.response : {}
        this.#begin(response)
        this.#done = true
        return [this.#chunk({}, finishOf(response, this.#tools.size > 0)), { ...this.#chunk({}), choices: [], usage: usageOf(response.usage) }]
      }
      case 'response.failed':
      case 'error': {
        const source = data.type === 'error' ? data : isObject(data.response) && isObject(data.response.error) ? data.response.error : {}
        throw new GatewayError('UPSTREAM_ERROR', `the LLM's stream failed: ${text(source.message) || 'no reason given'}`, 502)
      }
      default:
        return []
    }
  }

  #begin(response: unknown): void {
    if (!isObject(response)) return
    this.#id ||= text(response.id)
    this.#model ||= text(response.model)
    this.#created ||= count(response.created_at)
  }

  #chunk(delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason | null = null): ChatCompletionChunk {
    return { id: this.#id, object: 'chat.completion.chunk', created: this.#created, model: this.#model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] }
  }
}
