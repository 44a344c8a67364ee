/**
 * The Anthropic Messages dialect (`POST /v1/messages`, `anthropic-version:
 * 2023-06-01`): clients speaking Anthropic's API to the gateway. The inverse of
 * vendors/anthropic-translate.ts, whose types and tables (stop reasons, image
 * types, usage, error types) both directions share.
 *
 * Request -> canonical chat-completions request:
 * - `model` (required string) as is; `max_tokens` (required positive integer) to `max_tokens`.
 * - `system` (a string, or text blocks) becomes the first message, role `system`
 *   (text blocks as text parts).
 * - `messages` (roles `user` and `assistant`; consecutive turns of one role are
 *   allowed, as Anthropic merges them): string content, or blocks:
 *   - `text` -> a text part; `image` -> an `image_url` part (base64 as a
 *     `data:` URL, `url` as is); `document` (base64 PDF) -> a `file` part.
 *   - `tool_use` (assistant) -> a `tool_calls` entry, `arguments` the JSON of `input`;
 *     the turn's text blocks are joined into `content` (`null` when it only calls tools).
 *   - `tool_result` (user) -> a `tool` message for `tool_use_id`, which must name an
 *     earlier `tool_use`; its content (a string or text blocks, joined by
 *     newlines) is prefixed `Error: ` when `is_error`. A user turn's tool
 *     messages come before its other blocks (the canonical API wants them
 *     right after the assistant's tool calls).
 *   - `thinking` / `redacted_thinking` in assistant turns are dropped (the
 *     canonical request has no place for them).
 * - `tools` ({name, description, input_schema}) -> function tools; server tools
 *   (a `type` other than `custom`) are rejected.
 * - `tool_choice`: `auto` -> `auto`, `any` -> `required`, `tool` -> that function,
 *   `none` -> `none`; `disable_parallel_tool_use: true` -> `parallel_tool_calls: false`.
 * - `stop_sequences` -> `stop`; `temperature`, `top_p` as is; `metadata.user_id` -> `user`;
 *   `stream: true` -> `stream` with `stream_options.include_usage`.
 * - Refused: a document's `context` and a text block's `citations` (but `null`
 *   or `[]`): text the model reads, which the hooks could not see.
 * - Ignored: `cache_control` on any block or tool, `thinking`, `top_k`,
 *   `service_tier`, and fields this module does not know (`container`, `mcp_servers`, …).
 *   On the native lane (an `anthropic` LLM, the request unchanged by hooks) the
 *   body goes as it came but for those unknown fields ({@link NATIVE_FIELDS});
 *   a count_tokens body with the fields Anthropic counts ({@link COUNT_FIELDS}).
 * A field of the wrong type, a missing required one, an unknown block type or
 * an orphan `tool_result` is INVALID_REQUEST with `param` its path
 * (`messages[2].content[0].tool_use_id`).
 *
 * Canonical answer -> Messages answer: `id` `msg_…` (from the completion's id),
 * `model` the one the client asked for, a text block (when there is text or
 * nothing else) then `tool_use` blocks (parsed arguments), `stop_reason` by
 * {@link STOP_REASONS} (`stop` is always `end_turn`: whether a stop sequence
 * ended it is unknown, so `stop_sequence` is `null`), usage with cached prompt
 * tokens apart as Anthropic counts them.
 *
 * Stream: `message_start` (usage 0: the canonical stream reports usage last) and
 * `ping`, then one content block per text run or tool call (`text_delta`,
 * `input_json_delta`), each closed when the next opens; at the end the open
 * block's `content_block_stop`, `message_delta` (stop reason and usage) and
 * `message_stop`. Errors: Anthropic's `{type:'error', error:{type, message}}`
 * plus `error.code`, the gateway's stable code.
 */
import { GatewayError } from '../errors.js'
import type {
  ChatAssistantMessage,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatFunctionToolCall,
  ChatMessage,
  ChatTextPart,
  ChatTool,
  ChatToolChoice,
  ChatUserContentPart,
  FinishReason,
  Usage,
} from '../openai-types.js'
import {
  IMAGE_MEDIA_TYPES,
  STOP_REASONS,
  anthropicErrorTypeOfStatus,
  toAnthropicUsage,
  type AnthropicContentDelta,
  type AnthropicErrorBody,
  type AnthropicMessagesResponse,
  type AnthropicResponseContentBlock,
  type AnthropicStopReason,
  type AnthropicStreamEvent,
  type AnthropicToolUseBlock,
} from '../vendors/anthropic-translate.js'
import type { Dialect, DialectAnswer, DialectError } from './dialect.js'
import { arrayAt, invalid, isObject, nativeBody, numberAt, objectAt, notACompletion, positiveIntegerAt, stringAt, sseEvent as namedEvent, type Json } from './fields.js'

export const anthropicMessages: Dialect = {
  api: 'anthropic.messages',
  toCanonical,
  answer: (body) => new MessagesAnswer(typeof body.model === 'string' ? body.model : ''),
  errorBody,
  nativeRequest: (body, model) => nativeBody(body, NATIVE_FIELDS, model),
}

/** What goes to an `anthropic` LLM's count_tokens: the fields Anthropic counts. */
const COUNT_FIELDS = new Set(['model', 'system', 'messages', 'tools', 'tool_choice', 'thinking'])

/** A count_tokens body as an `anthropic` LLM counts it. */
export const countRequest = (body: Json, model: string): Json => nativeBody(body, COUNT_FIELDS, model)

/** What goes to an `anthropic` LLM as it is: this module's fields and those Anthropic alone reads (`top_k`, `thinking`, `service_tier`). */
const NATIVE_FIELDS = new Set(['model', 'max_tokens', 'system', 'messages', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'metadata', 'stream', 'tools', 'tool_choice', 'thinking', 'service_tier'])

// ==================================================================== request

function toCanonical(body: Json): ChatCompletionRequest {
  if (body.model === undefined) throw invalid('model', 'is required.')
  const model = stringAt(body.model, 'model')
  if (body.max_tokens === undefined) throw invalid('max_tokens', 'is required by the Messages API.')
  const maxTokens = positiveIntegerAt(body.max_tokens, 'max_tokens')

  const messages: ChatMessage[] = []
  if (body.system !== undefined) messages.push({ role: 'system', content: textContent(body.system, 'system') })
  const rawMessages = arrayAt(body.messages, 'messages')
  if (rawMessages.length === 0) throw invalid('messages', 'must hold at least one message.')
  const toolUseIds = new Set<string>()
  rawMessages.forEach((raw, i) => messages.push(...toMessages(raw, `messages[${i}]`, toolUseIds)))

  const request: ChatCompletionRequest = { model, messages, max_tokens: maxTokens }
  if (body.temperature !== undefined) request.temperature = numberAt(body.temperature, 'temperature')
  if (body.top_p !== undefined) request.top_p = numberAt(body.top_p, 'top_p')
  if (body.stop_sequences !== undefined) {
    request.stop = arrayAt(body.stop_sequences, 'stop_sequences').map((stop, i) => stringAt(stop, `stop_sequences[${i}]`))
  }
  if (body.metadata !== undefined) {
    const userId = objectAt(body.metadata, 'metadata').user_id
    if (userId != null) request.user = stringAt(userId, 'metadata.user_id')
  }
  if (body.stream !== undefined) {
    if (typeof body.stream !== 'boolean') throw invalid('stream', 'must be a boolean.')
    if (body.stream) Object.assign(request, { stream: true, stream_options: { include_usage: true } })
  }
  if (body.tools !== undefined) request.tools = arrayAt(body.tools, 'tools').map((tool, i) => toTool(tool, `tools[${i}]`))
  if (body.tool_choice !== undefined) Object.assign(request, toToolChoice(body.tool_choice))
  return request
}

/** `system`, or a tool result's content: a string or text blocks. */
function textContent(value: unknown, param: string): string | ChatTextPart[] {
  if (typeof value === 'string') return value
  return arrayAt(value, param).map((raw, j) => {
    const at = `${param}[${j}]`
    const block = objectAt(raw, at)
    if (block.type !== 'text') throw invalid(`${at}.type`, `must be "text", not ${JSON.stringify(block.type)}.`)
    return { type: 'text', text: blockText(block, at) }
  })
}

/**
 * A text block's text. Its citations quote text the model reads, which the
 * canonical form has no place for: on the native lane they would reach the
 * LLM unseen by the hooks, so only none (`null` or `[]`, as answers replay) pass.
 */
function blockText(block: Json, at: string): string {
  if (block.citations != null && !(Array.isArray(block.citations) && block.citations.length === 0)) {
    throw invalid(`${at}.citations`, 'cannot be sent through the gateway: its policies could not read the cited text. Send the block without citations.')
  }
  return stringAt(block.text, `${at}.text`)
}

/** One Anthropic turn as canonical messages: a user turn's tool results each become a `tool` message. */
function toMessages(raw: unknown, where: string, toolUseIds: Set<string>): ChatMessage[] {
  const message = objectAt(raw, where)
  const role = message.role
  if (role !== 'user' && role !== 'assistant') throw invalid(`${where}.role`, `must be "user" or "assistant", not ${JSON.stringify(role)}.`)
  if (typeof message.content === 'string') return [{ role, content: message.content }]
  const blocks = arrayAt(message.content, `${where}.content`).map((block, j) => objectAt(block, `${where}.content[${j}]`))
  return role === 'assistant' ? [assistantMessage(blocks, where, toolUseIds)] : userMessages(blocks, where, toolUseIds)
}

function assistantMessage(blocks: Json[], where: string, toolUseIds: Set<string>): ChatAssistantMessage {
  const texts: string[] = []
  const toolCalls: ChatFunctionToolCall[] = []
  blocks.forEach((block, j) => {
    const at = `${where}.content[${j}]`
    switch (block.type) {
      case 'text':
        texts.push(blockText(block, at))
        return
      case 'tool_use': {
        const id = stringAt(block.id, `${at}.id`)
        const input = objectAt(block.input, `${at}.input`)
        toolUseIds.add(id)
        toolCalls.push({ id, type: 'function', function: { name: stringAt(block.name, `${at}.name`), arguments: JSON.stringify(input) } })
        return
      }
      case 'thinking':
      case 'redacted_thinking':
        return
      default:
        throw invalid(`${at}.type`, `is not a content block type an assistant turn may hold through the gateway: ${JSON.stringify(block.type)}.`)
    }
  })
  const message: ChatAssistantMessage = { role: 'assistant', content: texts.length > 0 || toolCalls.length === 0 ? texts.join('') : null }
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return message
}

function userMessages(blocks: Json[], where: string, toolUseIds: Set<string>): ChatMessage[] {
  const toolMessages: ChatMessage[] = []
  const parts: ChatUserContentPart[] = []
  blocks.forEach((block, j) => {
    const at = `${where}.content[${j}]`
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: blockText(block, at) })
        return
      case 'image':
        parts.push({ type: 'image_url', image_url: { url: imageUrl(block.source, `${at}.source`) } })
        return
      case 'document': {
        const source = objectAt(block.source, `${at}.source`)
        if (source.type !== 'base64' || source.media_type !== 'application/pdf') {
          throw invalid(`${at}.source`, 'must be a base64 PDF (type "base64", media_type "application/pdf"): other document sources are not supported through the gateway.')
        }
        // Text the model reads that the canonical form has no place for (see blockText).
        if (block.context != null) throw invalid(`${at}.context`, 'cannot be sent through the gateway: its policies could not read it. Put the context in a text block.')
        const file: { file_data: string; filename?: string } = { file_data: `data:application/pdf;base64,${stringAt(source.data, `${at}.source.data`)}` }
        if (block.title != null) file.filename = stringAt(block.title, `${at}.title`)
        parts.push({ type: 'file', file })
        return
      }
      case 'tool_result': {
        const id = stringAt(block.tool_use_id, `${at}.tool_use_id`)
        if (!toolUseIds.has(id)) throw invalid(`${at}.tool_use_id`, `names no tool_use of an earlier assistant turn: ${JSON.stringify(id)}.`)
        toolMessages.push({ role: 'tool', tool_call_id: id, content: toolResultText(block, at) })
        return
      }
      default:
        throw invalid(`${at}.type`, `is not a content block type a user turn may hold through the gateway: ${JSON.stringify(block.type)}.`)
    }
  })
  return parts.length > 0 ? [...toolMessages, { role: 'user', content: parts }] : toolMessages
}

function toolResultText(block: Json, at: string): string {
  if (block.is_error !== undefined && typeof block.is_error !== 'boolean') throw invalid(`${at}.is_error`, 'must be a boolean.')
  const content = block.content === undefined ? '' : textContent(block.content, `${at}.content`)
  const text = typeof content === 'string' ? content : content.map((part) => part.text).join('\n')
  return block.is_error ? `Error: ${text}` : text
}

function imageUrl(raw: unknown, at: string): string {
  const source = objectAt(raw, at)
  switch (source.type) {
    case 'url':
      return stringAt(source.url, `${at}.url`)
    case 'base64': {
      const mediaType = stringAt(source.media_type, `${at}.media_type`)
      if (!IMAGE_MEDIA_TYPES.includes(mediaType)) throw invalid(`${at}.media_type`, `must be one of ${IMAGE_MEDIA_TYPES.join(', ')}.`)
      return `data:${mediaType};base64,${stringAt(source.data, `${at}.data`)}`
    }
    default:
      throw invalid(`${at}.type`, `must be "base64" or "url", not ${JSON.stringify(source.type)}.`)
  }
}

function toTool(raw: unknown, at: string): ChatTool {
  const tool = objectAt(raw, at)
  if (tool.type !== undefined && tool.type !== 'custom') {
    throw invalid(`${at}.type`, `is an Anthropic server tool (${JSON.stringify(tool.type)}), which the gateway cannot pass on: define a client tool (name, input_schema).`)
  }
  const fn: { name: string; description?: string; parameters: Json } = {
    name: stringAt(tool.name, `${at}.name`),
    parameters: objectAt(tool.input_schema, `${at}.input_schema`),
  }
  if (tool.description !== undefined) fn.description = stringAt(tool.description, `${at}.description`)
  return { type: 'function', function: fn }
}

function toToolChoice(raw: unknown): { tool_choice: ChatToolChoice; parallel_tool_calls?: false } {
  const choice = objectAt(raw, 'tool_choice')
  let toolChoice: ChatToolChoice
  switch (choice.type) {
    case 'auto':
      toolChoice = 'auto'
      break
    case 'any':
      toolChoice = 'required'
      break
    case 'none':
      toolChoice = 'none'
      break
    case 'tool':
      toolChoice = { type: 'function', function: { name: stringAt(choice.name, 'tool_choice.name') } }
      break
    default:
      throw invalid('tool_choice.type', `must be "auto", "any", "tool" or "none", not ${JSON.stringify(choice.type)}.`)
  }
  const disable = choice.disable_parallel_tool_use
  if (disable !== undefined && typeof disable !== 'boolean') throw invalid('tool_choice.disable_parallel_tool_use', 'must be a boolean.')
  return disable ? { tool_choice: toolChoice, parallel_tool_calls: false } : { tool_choice: toolChoice }
}

// =================================================================== response

function errorBody(error: DialectError): AnthropicErrorBody & { error: { code: string } } {
  return { type: 'error', error: { type: anthropicErrorTypeOfStatus(error.status), message: error.message, code: error.code } }
}

function stopReason(finishReason: FinishReason | null | undefined): AnthropicStopReason {
  return finishReason != null && Object.hasOwn(STOP_REASONS, finishReason) ? STOP_REASONS[finishReason] : 'end_turn'
}

/** `chatcmpl-msg_01…` (what the anthropic vendor answers) back to `msg_01…`; other ids get the prefix. */
function messageId(completionId: unknown): string {
  const id = typeof completionId === 'string' ? completionId.replace(/^chatcmpl-/, '') : ''
  return id.startsWith('msg_') ? id : `msg_${id}`
}

function usageOf(usage: Usage | null | undefined): AnthropicMessagesResponse['usage'] {
  return usage ? toAnthropicUsage(usage) : { input_tokens: 0, output_tokens: 0 }
}

function toolUseBlock(call: unknown): AnthropicToolUseBlock {
  if (!isObject(call) || call.type !== 'function' || !isObject(call.function) || typeof call.function.name !== 'string') {
    throw notACompletion('a tool call is not a function call')
  }
  const args = call.function.arguments
  let input: unknown
  try {
    input = typeof args === 'string' && args.trim() !== '' ? JSON.parse(args) : {}
  } catch {
    input = undefined
  }
  if (!isObject(input)) throw notACompletion(`the arguments of tool call "${call.function.name}" are not a JSON object`)
  return { type: 'tool_use', id: String(call.id), name: call.function.name, input }
}


/** Typed, so each event is checked against Anthropic's shapes. */
function sseEvent(event: AnthropicStreamEvent | (AnthropicErrorBody & { type: 'error' })): string {
  return namedEvent(event)
}

/** One request's answers as Messages answers; the stream state is per instance. */
class MessagesAnswer implements DialectAnswer {
  readonly #model: string
  #started = false
  /** Index of the next content block. */
  #nextIndex = 0
  /** The block receiving deltas: a text block, or the tool call with that canonical index. */
  #open: { index: number; toolIndex: number | null } | null = null
  readonly #toolIndexes = new Set<number>()
  #finishReason: FinishReason | null = null
  #usage: Usage | null = null

  constructor(model: string) {
    this.#model = model
  }

  body(completion: ChatCompletion): AnthropicMessagesResponse {
    if (!isObject(completion) || completion.object !== 'chat.completion' || !Array.isArray(completion.choices)) throw notACompletion('no choices')
    const choice: unknown = completion.choices[0]
    if (!isObject(choice) || !isObject(choice.message)) throw notACompletion('its first choice has no message')
    const message = choice.message as Json
    const toolUses = Array.isArray(message.tool_calls) ? message.tool_calls.map(toolUseBlock) : []
    const text = typeof message.content === 'string' ? message.content : typeof message.refusal === 'string' ? message.refusal : ''
    const content: AnthropicResponseContentBlock[] = text !== '' || toolUses.length === 0 ? [{ type: 'text', text }, ...toolUses] : toolUses
    return {
      id: messageId(completion.id),
      type: 'message',
      role: 'assistant',
      model: this.#model,
      content,
      stop_reason: stopReason(choice.finish_reason as FinishReason | null),
      stop_sequence: null,
      usage: usageOf(completion.usage),
    }
  }

  chunk(chunk: ChatCompletionChunk): string {
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) {
      throw new GatewayError('UPSTREAM_INVALID_RESPONSE', 'An event of the LLM stream is not a chat completion chunk.', 502)
    }
    let out = this.#start(chunk.id)
    if (chunk.usage) this.#usage = chunk.usage
    const choice = chunk.choices.find((c) => c.index === 0)
    if (!choice) return out
    const delta = choice.delta ?? {}
    const text = delta.content || delta.refusal
    if (text) out += this.#textDelta(JSON.stringify(text))
    for (const call of delta.tool_calls ?? []) {
      if (!this.#toolIndexes.has(call.index)) {
        this.#toolIndexes.add(call.index)
        out += this.#openBlock(call.index, { type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input: {} })
      } else if (this.#open?.toolIndex !== call.index) {
        // Anthropic cannot reopen a closed block, and OpenAI streams one tool call after the other.
        throw new GatewayError('UPSTREAM_INVALID_RESPONSE', `The LLM stream interleaves the arguments of tool call ${call.index} with another block.`, 502)
      }
      const partial = call.function?.arguments
      if (partial) out += this.#delta({ type: 'input_json_delta', partial_json: partial })
    }
    if (choice.finish_reason) this.#finishReason = choice.finish_reason
    return out
  }

  contentDelta(literal: string): string | undefined {
    // The message's id is the first chunk's: that chunk takes the parser.
    return this.#started ? this.#textDelta(literal) : undefined
  }

  end(): string {
    return (
      this.#start(undefined) +
      this.#closeBlock() +
      sseEvent({
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.#finishReason), stop_sequence: null },
        usage: usageOf(this.#usage),
      }) +
      sseEvent({ type: 'message_stop' })
    )
  }

  error(error: DialectError): string {
    return sseEvent(errorBody(error))
  }

  #start(chunkId: unknown): string {
    if (this.#started) return ''
    this.#started = true
    const message: AnthropicMessagesResponse = {
      id: messageId(chunkId),
      type: 'message',
      role: 'assistant',
      model: this.#model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    }
    return sseEvent({ type: 'message_start', message }) + sseEvent({ type: 'ping' })
  }

  #openBlock(toolIndex: number | null, block: AnthropicResponseContentBlock): string {
    const out = this.#closeBlock()
    this.#open = { index: this.#nextIndex++, toolIndex }
    return out + sseEvent({ type: 'content_block_start', index: this.#open.index, content_block: block })
  }

  #closeBlock(): string {
    if (!this.#open) return ''
    const { index } = this.#open
    this.#open = null
    return sseEvent({ type: 'content_block_stop', index })
  }

  /**
   * A text delta given as its JSON literal, for both paths, so they cannot
   * drift apart; written out by hand, as sseEvent would write
   * `{type: 'content_block_delta', index, delta: {type: 'text_delta', text}}`.
   */
  #textDelta(literal: string): string {
    const opened = this.#open === null || this.#open.toolIndex !== null ? this.#openBlock(null, { type: 'text', text: '' }) : ''
    return `${opened}event: content_block_delta\ndata: {"type":"content_block_delta","index":${this.#open!.index},"delta":{"type":"text_delta","text":${literal}}}\n\n`
  }

  #delta(delta: AnthropicContentDelta): string {
    return sseEvent({ type: 'content_block_delta', index: this.#open!.index, delta })
  }
}
