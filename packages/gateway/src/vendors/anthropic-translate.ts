/**
 * Translation between the OpenAI Chat Completions API (what apps speak to the
 * gateway) and Anthropic's Messages API (`POST /v1/messages`,
 * `anthropic-version: 2023-06-01`): requests, responses, streams and errors.
 * Pure functions and one stateful stream translator; no I/O.
 */
import { PlugboardError } from '@plugboard/proto'
import type {
  ChatAssistantMessage,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatChunkDelta,
  ChatFunctionToolCall,
  ChatTextPart,
  ChatTool,
  ChatToolChoice,
  ChatToolMessage,
  ChatUserContentPart,
  FinishReason,
  Usage,
} from '../openai-types.js'

// ============================================================ Anthropic types

/** A text block, in requests and responses. */
export interface AnthropicTextBlock {
  type: 'text'
  text: string
  citations?: Array<Record<string, unknown>> | null
}

export type AnthropicImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp'

/** An image: inline base64 bytes or a URL Anthropic fetches itself. */
export interface AnthropicImageBlock {
  type: 'image'
  source: { type: 'base64'; media_type: AnthropicImageMediaType; data: string } | { type: 'url'; url: string }
}

/** A PDF document, inline as base64. */
export interface AnthropicDocumentBlock {
  type: 'document'
  source: { type: 'base64'; media_type: 'application/pdf'; data: string }
  title?: string
}

/** A tool call by the model: `input` is the parsed arguments object. */
export interface AnthropicToolUseBlock {
  type: 'tool_use'
  id: string
  name: string
  input: Record<string, unknown>
}

/** The result of the `tool_use` with id `tool_use_id`; sent in a user message. */
export interface AnthropicToolResultBlock {
  type: 'tool_result'
  tool_use_id: string
  content: string | Array<AnthropicTextBlock | AnthropicImageBlock>
  is_error?: boolean
}

/** Extended-thinking output (only when the request enables thinking, which translation never does). */
export interface AnthropicThinkingBlock {
  type: 'thinking'
  thinking: string
  signature: string
}

export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking'
  data: string
}

/** A content block a request may carry. */
export type AnthropicContentBlockParam =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock

/** A content block a response may carry (others, e.g. server tools, are ignored). */
export type AnthropicResponseContentBlock =
  | AnthropicTextBlock
  | AnthropicToolUseBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock

/** One turn; turns alternate `user` / `assistant`. */
export interface AnthropicMessageParam {
  role: 'user' | 'assistant'
  content: string | AnthropicContentBlockParam[]
}

export interface AnthropicTool {
  name: string
  description?: string
  /** JSON Schema of the tool's input; always an object schema. */
  input_schema: { type: 'object'; [keyword: string]: unknown }
}

/** `auto`: model decides; `any`: must call some tool; `tool`: must call `name`; `none`: must not call tools. */
export type AnthropicToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' }

/** `POST /v1/messages` body. */
export interface AnthropicMessagesRequest {
  model: string
  max_tokens: number
  messages: AnthropicMessageParam[]
  system?: string
  temperature?: number
  top_p?: number
  stop_sequences?: string[]
  stream?: boolean
  metadata?: { user_id: string }
  tools?: AnthropicTool[]
  tool_choice?: AnthropicToolChoice
}

export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded'

/** Token counts; `input_tokens` excludes the prompt tokens written to or read from the cache. */
export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
}

/** `POST /v1/messages` answer (also the `message` of a stream's `message_start`, with empty content). */
export interface AnthropicMessagesResponse {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnthropicResponseContentBlock[]
  stop_reason: AnthropicStopReason | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

export type AnthropicContentDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'citations_delta'; citation: Record<string, unknown> }

/** The `data` of one event of a streamed answer, discriminated by `type` (equal to the SSE event name). */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessagesResponse }
  | { type: 'content_block_start'; index: number; content_block: AnthropicResponseContentBlock }
  | { type: 'content_block_delta'; index: number; delta: AnthropicContentDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta'
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null }
      /** Cumulative counts; `output_tokens` always, the input counts in newer API versions. */
      usage: Partial<AnthropicUsage> & { output_tokens: number }
    }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: string; message: string } }

/** The body of an Anthropic error answer, and the `data` of an `error` stream event. */
export interface AnthropicErrorBody {
  type: 'error'
  error: { type: string; message: string }
  request_id?: string
}

// ===================================================================== errors

/**
 * Every code this module throws, with its meaning and the HTTP status the
 * gateway answers with when the code ends a request. A shipped code never changes.
 */
export const TRANSLATE_ERRORS = {
  UNSUPPORTED_PARAMETER: {
    status: 400,
    doc: 'The request uses a parameter or content the vendor API cannot honour (n > 1, logprobs, audio, JSON mode…).',
  },
  INVALID_PARAMETER: {
    status: 400,
    doc: 'A request value cannot be translated: tool call arguments that are not a JSON object, a malformed data URL, an unknown message role.',
  },
  UPSTREAM_STREAM_ERROR: {
    status: 502,
    doc: 'The vendor stream sent an error event, or an event that is not valid JSON of the expected shape.',
  },
} as const satisfies Record<string, { status: number; doc: string }>

export type TranslateErrorCode = keyof typeof TRANSLATE_ERRORS

/**
 * Thrown by the translators. A {@link PlugboardError} (its `name` is
 * `PlugboardError`): check `code`, not `instanceof`. For
 * `UPSTREAM_STREAM_ERROR` from an `error` event, `cause` is the event's
 * {@link AnthropicErrorBody}; `fromAnthropicError(502, error.cause)` gives its OpenAI error type.
 */
export class TranslateError extends PlugboardError<TranslateErrorCode> {
  constructor(code: TranslateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

// ==================================================================== request

/** Options for {@link toAnthropicRequest}. */
export interface AnthropicTranslateOptions {
  /** `max_tokens` to send when the request sets neither `max_completion_tokens` nor `max_tokens` (Anthropic requires it). */
  defaultMaxTokens: number
}

/**
 * Translates an OpenAI chat request into an Anthropic Messages request for `model`.
 *
 * - `system` and `developer` messages, wherever they stand, become the top-level
 *   `system` (messages joined by a blank line, parts of one message joined as is).
 * - `tool` messages become user `tool_result` blocks; consecutive turns of the
 *   same Anthropic role are merged into one (tool results first, as Anthropic
 *   requires); whitespace-only text is dropped (Anthropic rejects it), and so is
 *   a turn left empty. A turn holding one text block is sent as a plain string.
 * - `max_completion_tokens`, else `max_tokens`, else `options.defaultMaxTokens`.
 * - `stop` becomes `stop_sequences`; `safety_identifier`, else `user`, becomes `metadata.user_id`;
 *   `parallel_tool_calls: false` becomes `disable_parallel_tool_use`.
 * - `temperature` and `top_p` pass unchanged: Anthropic accepts temperature 0–1 and
 *   answers 400 above (OpenAI allows up to 2), which {@link fromAnthropicError} relays.
 *
 * Throws `UNSUPPORTED_PARAMETER` (HTTP 400) rather than silently changing what the
 * app gets, for: `n` > 1, `logprobs: true`, `top_logprobs` > 0, a non-empty
 * `logit_bias`, `response_format` `json_object`/`json_schema`, audio output
 * (`modalities` with `audio`, `audio`), `web_search_options`, the deprecated
 * `functions`/`function_call` and `function` messages, custom tools and tool calls,
 * `allowed_tools` tool choice, `input_audio` parts, `file` parts other than inline
 * PDFs, and image URLs other than http(s) or base64 JPEG/PNG/GIF/WebP data URLs.
 * Throws `INVALID_PARAMETER` for tool call arguments that are not a JSON object,
 * malformed data URLs, unknown roles or parts, and `tool_choice` `required` or a
 * named function without `tools`.
 *
 * Ignored, as hints with no Anthropic counterpart: `frequency_penalty`,
 * `presence_penalty`, `seed`, `reasoning_effort`, `verbosity`, `prediction`,
 * `service_tier`, `store`, `metadata`, `prompt_cache_key`, `stream_options` (the
 * gateway reads `include_usage` itself), a function tool's `strict`, an image's
 * `detail`, a message's `name`, an assistant message's `refusal` and `audio`.
 *
 * @example
 * const body = toAnthropicRequest(request, 'claude-sonnet-4-5', { defaultMaxTokens: 4096 })
 * // POST {baseUrl}/v1/messages with JSON.stringify(body)
 */
export function toAnthropicRequest(
  request: ChatCompletionRequest,
  model: string,
  options: AnthropicTranslateOptions,
): AnthropicMessagesRequest {
  rejectUnsupportedParameters(request)
  const system: string[] = []
  const turns: Array<{ role: 'user' | 'assistant'; content: AnthropicContentBlockParam[] }> = []
  const append = (role: 'user' | 'assistant', blocks: AnthropicContentBlockParam[]): void => {
    const kept = blocks.filter((block) => block.type !== 'text' || block.text.trim() !== '')
    if (kept.length === 0) return
    const last = turns.at(-1)
    if (last?.role === role) last.content.push(...kept)
    else turns.push({ role, content: kept })
  }

  request.messages.forEach((message, i) => {
    const where = `messages[${i}]`
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join('')
        if (text.trim() !== '') system.push(text)
        return
      }
      case 'user':
        return append('user', userBlocks(message.content, where))
      case 'assistant':
        return append('assistant', assistantBlocks(message, where))
      case 'tool':
        return append('user', [toolResultBlock(message)])
      case 'function':
        throw new TranslateError(
          'UNSUPPORTED_PARAMETER',
          `${where} has the deprecated role "function", which Anthropic models do not support: send tool calls and "tool" messages instead.`,
        )
      default:
        throw unknownVariant(message, `${where} has an unknown role`)
    }
  })

  const result: AnthropicMessagesRequest = {
    model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens,
    messages: turns.map(({ role, content }) => {
      // Anthropic wants a user turn's tool results before anything else in it.
      const ordered = role === 'user' ? [...content.filter(isToolResult), ...content.filter((b) => !isToolResult(b))] : content
      const only = ordered.length === 1 ? ordered[0] : undefined
      return { role, content: only?.type === 'text' && !only.citations ? only.text : ordered }
    }),
  }
  if (system.length > 0) result.system = system.join('\n\n')
  if (request.temperature != null) result.temperature = request.temperature
  if (request.top_p != null) result.top_p = request.top_p
  if (request.stop != null) {
    const stops = typeof request.stop === 'string' ? [request.stop] : request.stop
    if (stops.length > 0) result.stop_sequences = stops
  }
  if (request.stream) result.stream = true
  const userId = request.safety_identifier ?? request.user
  if (userId) result.metadata = { user_id: userId }
  const tools = (request.tools ?? []).map(toAnthropicTool)
  if (tools.length > 0) result.tools = tools
  const toolChoice = toAnthropicToolChoice(request.tool_choice, request.parallel_tool_calls, tools.length > 0)
  if (toolChoice) result.tool_choice = toolChoice
  return result
}

function rejectUnsupportedParameters(request: ChatCompletionRequest): void {
  const reject = (message: string): never => {
    throw new TranslateError('UNSUPPORTED_PARAMETER', message)
  }
  if (request.n != null && request.n > 1) {
    reject(`n=${request.n} is not supported for Anthropic models, which return one choice per request: send ${request.n} requests, or omit n.`)
  }
  if (request.logprobs === true || (request.top_logprobs != null && request.top_logprobs > 0)) {
    reject('logprobs and top_logprobs are not supported for Anthropic models, which return no token log probabilities: omit them.')
  }
  if (request.logit_bias != null && Object.keys(request.logit_bias).length > 0) {
    reject('logit_bias is not supported for Anthropic models: omit it.')
  }
  const format = request.response_format?.type
  if (format === 'json_object' || format === 'json_schema') {
    reject(
      `response_format "${format}" is not supported for Anthropic models: describe the JSON in the prompt, or define a tool with the schema as its parameters and require it with tool_choice.`,
    )
  }
  if (request.modalities?.includes('audio') || request.audio != null) {
    reject('Audio output (modalities "audio", audio) is not supported for Anthropic models: request text only.')
  }
  if (request.web_search_options != null) {
    reject('web_search_options is not supported for Anthropic models through the gateway: omit it.')
  }
  if ((request.functions?.length ?? 0) > 0 || request.function_call != null) {
    reject('The deprecated functions and function_call parameters are not supported for Anthropic models: use tools and tool_choice.')
  }
}

function userBlocks(content: string | ChatUserContentPart[], where: string): AnthropicContentBlockParam[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return content.map((part, j): AnthropicContentBlockParam => {
    const at = `${where}.content[${j}]`
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text }
      case 'image_url':
        return { type: 'image', source: imageSource(part.image_url.url, at) }
      case 'file': {
        const data = part.file.file_data
        if (data === undefined) {
          throw new TranslateError(
            'UNSUPPORTED_PARAMETER',
            `${at} refers to an uploaded file (file_id), which Anthropic models cannot read: send the PDF inline as file_data.`,
          )
        }
        const parsed = parseBase64DataUrl(data, `${at}.file.file_data`)
        if (parsed.mediaType !== 'application/pdf') {
          throw new TranslateError(
            'UNSUPPORTED_PARAMETER',
            `${at} is a file of type "${parsed.mediaType}": Anthropic models read PDF files only (data:application/pdf;base64,…).`,
          )
        }
        const document: AnthropicDocumentBlock = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: parsed.data } }
        if (part.file.filename) document.title = part.file.filename
        return document
      }
      case 'input_audio':
        throw new TranslateError('UNSUPPORTED_PARAMETER', `${at} is audio (input_audio), which Anthropic models do not accept: send a transcript as text.`)
      default:
        throw unknownVariant(part, `${at} has an unknown content part type`)
    }
  })
}

/** The image types Anthropic reads, inline or from a URL. */
export const IMAGE_MEDIA_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] satisfies AnthropicImageMediaType[]

function imageSource(url: string, where: string): AnthropicImageBlock['source'] {
  if (/^https?:\/\//i.test(url)) return { type: 'url', url }
  if (!/^data:/i.test(url)) {
    throw new TranslateError(
      'UNSUPPORTED_PARAMETER',
      `${where} has an image URL that is neither http(s) nor a data URL: Anthropic models accept those two only.`,
    )
  }
  const { mediaType, data } = parseBase64DataUrl(url, `${where}.image_url.url`)
  if (!IMAGE_MEDIA_TYPES.includes(mediaType)) {
    throw new TranslateError(
      'UNSUPPORTED_PARAMETER',
      `${where} is an image of type "${mediaType}": Anthropic models accept image/jpeg, image/png, image/gif and image/webp.`,
    )
  }
  return { type: 'base64', media_type: mediaType as AnthropicImageMediaType, data }
}

function parseBase64DataUrl(url: string, where: string): { mediaType: string; data: string } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/is.exec(url)
  if (!match || !match[2]!.toLowerCase().split(';').includes('base64')) {
    throw new TranslateError('INVALID_PARAMETER', `${where} is not a base64 data URL (data:<media type>;base64,<data>).`)
  }
  return { mediaType: match[1]!.toLowerCase(), data: match[3]! }
}

function assistantBlocks(message: ChatAssistantMessage, where: string): AnthropicContentBlockParam[] {
  if (message.function_call != null) {
    throw new TranslateError(
      'UNSUPPORTED_PARAMETER',
      `${where} has the deprecated function_call, which Anthropic models do not support: use tool_calls.`,
    )
  }
  const blocks: AnthropicContentBlockParam[] = []
  if (typeof message.content === 'string') blocks.push({ type: 'text', text: message.content })
  else for (const part of message.content ?? []) blocks.push({ type: 'text', text: part.type === 'text' ? part.text : part.refusal })
  message.tool_calls?.forEach((call, j) => {
    const at = `${where}.tool_calls[${j}]`
    if (call.type !== 'function') {
      throw new TranslateError('UNSUPPORTED_PARAMETER', `${at} calls a custom tool, which Anthropic models do not support: use function tools.`)
    }
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call, at) })
  })
  return blocks
}

function parseArguments(call: ChatFunctionToolCall, where: string): Record<string, unknown> {
  const text = call.function.arguments
  if (text.trim() === '') return {}
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (error) {
    throw new TranslateError(
      'INVALID_PARAMETER',
      `${where}.function.arguments of "${call.function.name}" is not valid JSON, and Anthropic needs the arguments as an object: send the JSON object the tool was called with.`,
      { cause: error },
    )
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TranslateError(
      'INVALID_PARAMETER',
      `${where}.function.arguments of "${call.function.name}" is JSON but not an object, and Anthropic needs the arguments as an object.`,
    )
  }
  return input as Record<string, unknown>
}

function toolResultBlock(message: ChatToolMessage): AnthropicToolResultBlock {
  if (typeof message.content === 'string') return { type: 'tool_result', tool_use_id: message.tool_call_id, content: message.content }
  const parts = message.content
    .filter((part: ChatTextPart) => part.text.trim() !== '')
    .map((part): AnthropicTextBlock => ({ type: 'text', text: part.text }))
  return { type: 'tool_result', tool_use_id: message.tool_call_id, content: parts.length > 0 ? parts : '' }
}

function isToolResult(block: AnthropicContentBlockParam): block is AnthropicToolResultBlock {
  return block.type === 'tool_result'
}

function toAnthropicTool(tool: ChatTool, i: number): AnthropicTool {
  if (tool.type !== 'function') {
    throw new TranslateError(
      'UNSUPPORTED_PARAMETER',
      `tools[${i}] is a custom tool ("${tool.custom.name}"), which Anthropic models do not support: use a function tool.`,
    )
  }
  const { name, description, parameters } = tool.function
  const result: AnthropicTool = { name, input_schema: { type: 'object', properties: {}, ...parameters } as AnthropicTool['input_schema'] }
  if (description) result.description = description
  return result
}

function toAnthropicToolChoice(
  choice: ChatToolChoice | undefined,
  parallelToolCalls: boolean | undefined,
  hasTools: boolean,
): AnthropicToolChoice | undefined {
  if (!hasTools) {
    if (choice === 'required' || (typeof choice === 'object' && choice.type === 'function')) {
      throw new TranslateError('INVALID_PARAMETER', 'tool_choice requires a tool call, but the request has no tools: send tools, or omit tool_choice.')
    }
    return undefined
  }
  const disableParallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {}
  if (choice === undefined) return parallelToolCalls === false ? { type: 'auto', ...disableParallel } : undefined
  if (choice === 'none') return { type: 'none' }
  if (choice === 'auto') return { type: 'auto', ...disableParallel }
  if (choice === 'required') return { type: 'any', ...disableParallel }
  switch (choice.type) {
    case 'function':
      return { type: 'tool', name: choice.function.name, ...disableParallel }
    case 'custom':
    case 'allowed_tools':
      throw new TranslateError(
        'UNSUPPORTED_PARAMETER',
        `tool_choice of type "${choice.type}" is not supported for Anthropic models: use "auto", "none", "required" or a function.`,
      )
    default:
      throw unknownVariant(choice, 'tool_choice has an unknown type')
  }
}

function unknownVariant(value: never, message: string): TranslateError {
  const tag = (value as { role?: unknown; type?: unknown }).role ?? (value as { type?: unknown }).type
  return new TranslateError('INVALID_PARAMETER', `${message}: ${JSON.stringify(tag)}.`)
}

// =================================================================== response

const FINISH_REASONS: Record<AnthropicStopReason, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
}

/**
 * The way back, for the Messages dialect: OpenAI does not say whether `stop`
 * was a natural end or a stop sequence, so it is `end_turn`.
 */
export const STOP_REASONS: Record<FinishReason, AnthropicStopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
}

/** Maps an Anthropic stop reason to OpenAI's; an unknown or missing one counts as `stop`. */
function toFinishReason(stopReason: string | null | undefined): FinishReason {
  return stopReason != null && Object.hasOwn(FINISH_REASONS, stopReason) ? FINISH_REASONS[stopReason as AnthropicStopReason] : 'stop'
}

/** Anthropic counts cached prompt tokens apart; OpenAI's `prompt_tokens` includes them. */
function promptTokensOf(usage: Partial<AnthropicUsage>): number {
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0)
}

/** OpenAI usage as Anthropic counts it: the cached prompt tokens apart from `input_tokens` (the inverse of {@link promptTokensOf}). */
export function toAnthropicUsage(usage: Usage): AnthropicUsage {
  const cached = usage.prompt_tokens_details?.cached_tokens
  const result: AnthropicUsage = { input_tokens: usage.prompt_tokens - (cached ?? 0), output_tokens: usage.completion_tokens }
  if (cached != null) result.cache_read_input_tokens = cached
  return result
}

function toUsage(promptTokens: number, completionTokens: number, cachedTokens: number | null | undefined): Usage {
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
  if (cachedTokens != null) usage.prompt_tokens_details = { cached_tokens: cachedTokens }
  return usage
}

/**
 * Translates a non-streamed Anthropic answer into an OpenAI chat completion.
 * Text blocks are joined (no separator) into `content`, which is `null` when the
 * answer only calls tools; `tool_use` blocks become `tool_calls` with the input
 * as JSON text; thinking blocks are dropped. `model` is the name the app asked
 * for, `id` is `chatcmpl-<Anthropic message id>`, `created` is now.
 *
 * @example
 * const completion = fromAnthropicResponse(await upstream.json(), request.model)
 */
export function fromAnthropicResponse(response: AnthropicMessagesResponse, requestedModel: string): ChatCompletion {
  const texts: string[] = []
  const toolCalls: ChatFunctionToolCall[] = []
  for (const block of response.content) {
    if (block.type === 'text') texts.push(block.text)
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } })
    }
  }
  const content = texts.length > 0 ? texts.join('') : toolCalls.length > 0 ? null : ''
  return {
    id: `chatcmpl-${response.id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: requestedModel,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: toFinishReason(response.stop_reason),
        logprobs: null,
      },
    ],
    usage: toUsage(promptTokensOf(response.usage), response.usage.output_tokens, response.usage.cache_read_input_tokens),
  }
}

// ===================================================================== stream

/**
 * Translates an Anthropic Messages stream into OpenAI `chat.completion.chunk`s,
 * one upstream event at a time. One instance per stream; not reusable.
 *
 * Chunks: `message_start` gives the role chunk (`{role:'assistant', content:''}`);
 * text deltas give `content` chunks; a `tool_use` block gives a chunk opening the
 * tool call (`id`, `type`, `function.name`, `arguments: ''`) then one chunk per
 * argument fragment, `index` counting tool calls from 0 (not content blocks); a tool
 * call that streamed no argument text gets `'{}'` when its block stops, so the
 * concatenated arguments are always a JSON object; `message_delta` gives the chunk
 * with `finish_reason`; with `includeUsage`, `message_stop` gives a last chunk with
 * `choices: []` and the usage, and every other chunk has `usage: null`. `ping`,
 * thinking blocks and unknown event types give nothing.
 *
 * After `message_stop`, {@link done} is true: the gateway then writes `data: [DONE]`.
 * A stream that ends before that was cut short.
 *
 * @example
 * const translator = new AnthropicStreamTranslator({ model: request.model, includeUsage: true })
 * for (const { event } of splitter.push(bytes)) {
 *   for (const chunk of translator.translate(event)) res.write(sseData(JSON.stringify(chunk)))
 *   if (translator.done) res.write(sseData('[DONE]'))
 * }
 */
export class AnthropicStreamTranslator {
  readonly #model: string
  readonly #includeUsage: boolean
  readonly #created: number
  #id: string | undefined
  #started = false
  #done = false
  #inputTokens = 0
  #cachedTokens: number | null | undefined
  #outputTokens = 0
  /** Content block index -> its tool call index, and whether any argument text was sent. */
  readonly #toolBlocks = new Map<number, { toolIndex: number; sentArguments: boolean }>()

  /**
   * @param options.id chunk `id`; default `chatcmpl-<Anthropic message id>`.
   * @param options.model the model name the app asked for, put in every chunk.
   * @param options.includeUsage the request's `stream_options.include_usage`.
   * @param options.created Unix seconds for every chunk; default now.
   */
  constructor(options: { id?: string; model: string; includeUsage: boolean; created?: number }) {
    this.#id = options.id
    this.#model = options.model
    this.#includeUsage = options.includeUsage
    this.#created = options.created ?? Math.floor(Date.now() / 1000)
  }

  /** Usage seen so far (input from message_start, output from message_delta). */
  get usage(): { promptTokens: number; completionTokens: number } {
    return { promptTokens: this.#inputTokens, completionTokens: this.#outputTokens }
  }

  /** True once `message_stop` arrived: the stream is complete and the gateway appends `data: [DONE]`. */
  get done(): boolean {
    return this.#done
  }

  /**
   * One upstream SSE event (event name + data JSON string) in; zero or more
   * OpenAI chat.completion.chunk objects out.
   *
   * @throws TranslateError `UPSTREAM_STREAM_ERROR` for an `error` event (message
   * from upstream, `cause` its body), data that is not a JSON event, or a content
   * event before `message_start`.
   */
  translate(event: { event: string; data: string }): ChatCompletionChunk[] {
    const data = parseStreamEvent(event)
    if (data.type === 'error') {
      const { message } = fromAnthropicError(502, data)
      throw new TranslateError('UPSTREAM_STREAM_ERROR', `Anthropic ended the stream with an error (${data.error?.type ?? 'unknown'}): ${message}`, {
        cause: data,
      })
    }
    if (data.type === 'ping') return []
    if (data.type === 'message_start') {
      this.#started = true
      this.#id ??= `chatcmpl-${data.message.id}`
      this.#countUsage(data.message.usage)
      return [this.#chunk({ role: 'assistant', content: '' })]
    }
    if (!this.#started) {
      throw new TranslateError('UPSTREAM_STREAM_ERROR', `Anthropic stream sent "${data.type}" before message_start: the upstream answer is not a Messages stream.`)
    }
    switch (data.type) {
      case 'content_block_start':
        return this.#blockStart(data.index, data.content_block)
      case 'content_block_delta':
        return this.#blockDelta(data.index, data.delta)
      case 'content_block_stop': {
        const tool = this.#toolBlocks.get(data.index)
        if (!tool || tool.sentArguments) return []
        tool.sentArguments = true
        return [this.#chunk({ tool_calls: [{ index: tool.toolIndex, function: { arguments: '{}' } }] })]
      }
      case 'message_delta':
        this.#countUsage(data.usage)
        return [this.#chunk({}, toFinishReason(data.delta?.stop_reason))]
      case 'message_stop': {
        this.#done = true
        if (!this.#includeUsage) return []
        return [{ ...this.#base(), choices: [], usage: toUsage(this.#inputTokens, this.#outputTokens, this.#cachedTokens) }]
      }
      default:
        // Anthropic may add event types; its versioning policy asks clients to ignore unknown ones.
        return []
    }
  }

  #blockStart(index: number, block: AnthropicResponseContentBlock): ChatCompletionChunk[] {
    if (block.type === 'text') return block.text ? [this.#chunk({ content: block.text })] : []
    if (block.type !== 'tool_use') return []
    const toolIndex = this.#toolBlocks.size
    const input = block.input ?? {}
    const initialArguments = Object.keys(input).length > 0 ? JSON.stringify(input) : ''
    this.#toolBlocks.set(index, { toolIndex, sentArguments: initialArguments !== '' })
    return [
      this.#chunk({
        tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: initialArguments } }],
      }),
    ]
  }

  #blockDelta(index: number, delta: AnthropicContentDelta): ChatCompletionChunk[] {
    if (delta.type === 'text_delta') return delta.text ? [this.#chunk({ content: delta.text })] : []
    if (delta.type !== 'input_json_delta' || !delta.partial_json) return []
    const tool = this.#toolBlocks.get(index)
    if (!tool) return [] // arguments of a block translation skips (e.g. a server tool)
    tool.sentArguments = true
    return [this.#chunk({ tool_calls: [{ index: tool.toolIndex, function: { arguments: delta.partial_json } }] })]
  }

  #countUsage(usage: Partial<AnthropicUsage> | undefined): void {
    if (!usage) return
    if (usage.input_tokens != null) this.#inputTokens = promptTokensOf(usage)
    if (usage.cache_read_input_tokens != null) this.#cachedTokens = usage.cache_read_input_tokens
    if (usage.output_tokens != null) this.#outputTokens = usage.output_tokens
  }

  #base(): Omit<ChatCompletionChunk, 'choices'> {
    return { id: this.#id ?? 'chatcmpl', object: 'chat.completion.chunk', created: this.#created, model: this.#model }
  }

  #chunk(delta: ChatChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = { ...this.#base(), choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] }
    if (this.#includeUsage) chunk.usage = null
    return chunk
  }
}

function parseStreamEvent(event: { event: string; data: string }): AnthropicStreamEvent {
  let data: unknown
  try {
    data = JSON.parse(event.data)
  } catch (error) {
    throw new TranslateError('UPSTREAM_STREAM_ERROR', `Anthropic stream event "${event.event}" carries data that is not JSON: the upstream answer is not a Messages stream.`, {
      cause: error,
    })
  }
  if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') {
    throw new TranslateError('UPSTREAM_STREAM_ERROR', `Anthropic stream event "${event.event}" carries no event type: the upstream answer is not a Messages stream.`)
  }
  return data as AnthropicStreamEvent
}

// ===================================================================== errors

const ERROR_TYPES: Record<string, string> = {
  invalid_request_error: 'invalid_request_error',
  not_found_error: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  billing_error: 'insufficient_quota',
  rate_limit_error: 'rate_limit_error',
  api_error: 'server_error',
  overloaded_error: 'server_error',
  timeout_error: 'server_error',
}

/**
 * The Anthropic error `type` of an error answer with HTTP `status`, for the
 * Messages dialect (the SDK picks its exception class by status, clients
 * switch on the type).
 */
export function anthropicErrorTypeOfStatus(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error'
    case 402:
      return 'billing_error'
    case 403:
      return 'permission_error'
    case 404:
      return 'not_found_error'
    case 413:
      return 'request_too_large'
    case 429:
      return 'rate_limit_error'
    case 529:
      return 'overloaded_error'
  }
  return status >= 500 ? 'api_error' : 'invalid_request_error'
}

function errorTypeOfStatus(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 429) return 'rate_limit_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

/**
 * An Anthropic error answer -> the `message` and `type` of an OpenAI error body.
 * `body` may be the parsed JSON ({@link AnthropicErrorBody}), its raw text, or
 * anything else a proxy sent; the type comes from the Anthropic error type when
 * known, else from `status` (401, 403, 429, 5xx, other 4xx).
 *
 * @example
 * const { message, type } = fromAnthropicError(res.status, await res.text())
 * reply.status(res.status).send({ error: { message, type, param: null, code: null } })
 */
export function fromAnthropicError(status: number, body: unknown): { message: string; type: string } {
  let parsed = body
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body)
    } catch {
      parsed = undefined
    }
  }
  const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined
  const upstream = typeof error === 'object' && error !== null ? (error as { type?: unknown; message?: unknown }) : {}
  const type = typeof upstream.type === 'string' && Object.hasOwn(ERROR_TYPES, upstream.type) ? ERROR_TYPES[upstream.type]! : errorTypeOfStatus(status)
  if (typeof upstream.message === 'string' && upstream.message !== '') return { message: upstream.message, type }
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : ''
  return { message: text ? `Anthropic answered HTTP ${status}: ${text}` : `Anthropic answered HTTP ${status} without an error message.`, type }
}
