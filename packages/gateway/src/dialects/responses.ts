/**
 * The OpenAI Responses dialect (`POST /v1/responses`), stateless: the gateway
 * stores no responses (`store: false` semantics whatever the request says),
 * so a conversation is sent whole as input items.
 *
 * Request -> canonical chat-completions request:
 * - `model` (required string) as is; `instructions` -> a leading `system` message.
 * - `input`: a string -> one `user` message; or items (at least one, unless there are `instructions`):
 *   - messages (`type: 'message'`, or no type with a `role`): roles `user`,
 *     `assistant`, `system`, `developer`; content a string or parts
 *     (`input_text` / `output_text` -> text parts, `input_image` with an
 *     `image_url` -> an `image_url` part with its `detail`);
 *   - `function_call` {call_id, name, arguments} -> a `tool_calls` entry of an
 *     assistant message (consecutive calls share one message);
 *   - `function_call_output` {call_id, output} -> a `tool` message, its
 *     content the output string, its text parts joined, or other JSON as text.
 *   Other item types (`reasoning`, `file_search_call`, `item_reference`, …)
 *   and parts (`input_file`, an image by `file_id`, any but text in a
 *   function call output) are refused: the account's stored files are no
 *   app's to read.
 * - `tools`: function tools {name, description, parameters, strict} -> chat
 *   function tools; built-in tools (`web_search`, `file_search`, …) are refused.
 * - `tool_choice` `auto` / `none` / `required` / {type: 'function', name};
 *   `parallel_tool_calls`, `temperature`, `top_p`, `user` as is;
 *   `max_output_tokens` (a positive integer) -> `max_completion_tokens`; `text.format` (`json_schema`
 *   {name, schema, strict} or `json_object`) -> `response_format`;
 *   `stream: true` -> `stream` with `stream_options.include_usage`.
 * - Refused: `previous_response_id` and `conversation` (nothing is stored to
 *   continue from), `background`. Ignored: `store`, `metadata` (echoed),
 *   `reasoning`, `truncation`, `include`, `service_tier`.
 *   On the native lane (an LLM that serves the Responses API, the request
 *   unchanged by hooks) the body goes as it came, only the fields of
 *   {@link NATIVE_FIELDS}, with `store: false`.
 * Every refusal and type error is INVALID_REQUEST with `param` its path (`input[3].type`).
 *
 * Canonical answer -> Response: `id` `resp_…`, `status` `completed`, or
 * `incomplete` with `incomplete_details.reason: 'max_output_tokens'` when the
 * finish reason is `length`; `output` a `message` item with one `output_text`
 * part when there is text, then one `function_call` item per tool call; usage
 * as input/output/total tokens; the request's settings echoed.
 *
 * Stream: `response.created`, `response.in_progress`; per text run
 * `response.output_item.added`, `response.content_part.added`,
 * `response.output_text.delta`…, closed by `.output_text.done`,
 * `.content_part.done`, `.output_item.done`; per tool call
 * `response.output_item.added`, `response.function_call_arguments.delta`…,
 * `.done`, `response.output_item.done`; then `response.completed` (or
 * `response.incomplete`) with the whole response. Every event has a rising
 * `sequence_number`. A stream that breaks: an `error` event, then
 * `response.failed`.
 */
import { randomUUID } from 'node:crypto'
import type {
  ChatAssistantMessage,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ChatTool,
  ChatToolChoice,
  ChatUserContentPart,
  FinishReason,
  Usage,
} from '../openai-types.js'
import type { Dialect, DialectAnswer, DialectError } from './dialect.js'
import { arrayAt, invalid, isObject, nativeBody, objectAt, notACompletion, positiveIntegerAt, sseEvent, stringAt, type Json } from './fields.js'

export const openAiResponses: Dialect = {
  api: 'responses',
  toCanonical,
  answer: (body) => new ResponsesAnswer(body),
  errorBody: (error) => ({ error: { message: error.message, type: error.type, param: error.param, code: error.code } }),
  nativeRequest: (body, model) => nativeBody(body, NATIVE_FIELDS, model, { store: false }),
}

/** What goes to an LLM that serves the Responses API itself; `store` is always false (the gateway is stateless). */
const NATIVE_FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_output_tokens',
  'temperature',
  'top_p',
  'top_logprobs',
  'stream',
  'text',
  'reasoning',
  'include',
  'metadata',
  'user',
  'truncation',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
])

// ==================================================================== request

const REFUSED = {
  previous_response_id: 'is not supported: the gateway stores no responses (store: false semantics); send the whole conversation as input items.',
  conversation: 'is not supported: the gateway stores no conversations; send the whole conversation as input items.',
  background: 'is not supported: the gateway answers while the client waits.',
} as const
const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer'])
const PASSED = ['temperature', 'top_p', 'parallel_tool_calls', 'user'] as const

function toCanonical(body: Json): ChatCompletionRequest {
  for (const [field, message] of Object.entries(REFUSED)) {
    if (body[field] !== undefined && body[field] !== null && body[field] !== false) throw invalid(field, message)
  }
  const model = stringAt(body.model, 'model')
  const messages: ChatMessage[] = []
  if (body.instructions !== undefined && body.instructions !== null) messages.push({ role: 'system', content: stringAt(body.instructions, 'instructions') })
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input })
  else arrayAt(body.input, 'input').forEach((item, i) => addItem(messages, item, `input[${i}]`))
  if (messages.length === 0) throw invalid('input', 'must hold at least one item (or give instructions).')
  const request: ChatCompletionRequest = { model, messages }
  const canonical = request as unknown as Json
  for (const field of PASSED) if (body[field] !== undefined && body[field] !== null) canonical[field] = body[field]
  if (body.max_output_tokens !== undefined && body.max_output_tokens !== null) request.max_completion_tokens = positiveIntegerAt(body.max_output_tokens, 'max_output_tokens')
  if (body.tools !== undefined) request.tools = arrayAt(body.tools, 'tools').map((tool, i) => toTool(tool, `tools[${i}]`))
  if (body.tool_choice !== undefined) request.tool_choice = toToolChoice(body.tool_choice)
  if (body.text !== undefined) Object.assign(request, responseFormat(objectAt(body.text, 'text')))
  // Read as the native lane sends it: a `stream` of 1 would be a stream upstream and a whole answer here.
  if (body.stream != null && typeof body.stream !== 'boolean') throw invalid('stream', 'must be a boolean.')
  if (body.stream === true) Object.assign(request, { stream: true, stream_options: { include_usage: true } })
  return request
}

function addItem(messages: ChatMessage[], raw: unknown, at: string): void {
  const item = objectAt(raw, at)
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined)
  switch (type) {
    case 'message':
      return void messages.push(messageOf(item, at))
    case 'function_call': {
      const call = {
        id: stringAt(item.call_id, `${at}.call_id`),
        type: 'function' as const,
        function: { name: stringAt(item.name, `${at}.name`), arguments: stringAt(item.arguments, `${at}.arguments`) },
      }
      const last = messages.at(-1)
      // Calls made in one turn arrive as consecutive items: the canonical form holds them in one assistant message.
      if (last?.role === 'assistant' && last.tool_calls && !last.content) last.tool_calls.push(call)
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] })
      return
    }
    case 'function_call_output':
      return void messages.push({ role: 'tool', tool_call_id: stringAt(item.call_id, `${at}.call_id`), content: toolOutput(item.output, `${at}.output`) })
    default:
      throw invalid(`${at}.type`, `"${String(type)}" is not an input item the gateway translates (message, function_call, function_call_output).`)
  }
}

/**
 * A function call's output as the tool message's text: a string, or parts
 * (text only: the canonical tool message holds no image or file, and the
 * native lane would send them unseen), or any other JSON as its text.
 */
function toolOutput(output: unknown, at: string): string {
  if (typeof output === 'string') return output
  if (!Array.isArray(output)) return JSON.stringify(output ?? '')
  return output
    .map((raw, j) => {
      const part = contentPart(raw, `${at}[${j}]`)
      if (part.type !== 'text') throw invalid(`${at}[${j}].type`, 'of a function call output can hold only text.')
      return part.text
    })
    .join('')
}

function messageOf(item: Json, at: string): ChatMessage {
  const role = stringAt(item.role, `${at}.role`)
  if (!MESSAGE_ROLES.has(role)) throw invalid(`${at}.role`, `must be one of user, assistant, system, developer, not "${role}".`)
  if (typeof item.content === 'string') return { role, content: item.content } as ChatMessage
  const parts = arrayAt(item.content, `${at}.content`).map((part, j) => contentPart(part, `${at}.content[${j}]`))
  if (role === 'user') return { role, content: parts }
  const text = parts.map((part) => (part.type === 'text' ? part.text : '')).join('')
  if (parts.some((part) => part.type !== 'text')) throw invalid(`${at}.content`, `of a ${role} message can hold only text.`)
  return role === 'assistant' ? ({ role, content: text } satisfies ChatAssistantMessage) : ({ role, content: text } as ChatMessage)
}

function contentPart(raw: unknown, at: string): ChatUserContentPart {
  const part = objectAt(raw, at)
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: stringAt(part.text, `${at}.text`) }
    case 'input_image': {
      if (typeof part.image_url !== 'string') throw invalid(`${at}.image_url`, 'must be a URL or data: URL (images by file_id are not supported).')
      // The native lane would send it too: the upstream account's stored files are no app's to read.
      if (part.file_id != null) throw invalid(`${at}.file_id`, 'is not supported: images by file_id are not; send the image_url alone.')
      const detail = part.detail === 'low' || part.detail === 'high' || part.detail === 'auto' ? part.detail : undefined
      return { type: 'image_url', image_url: { url: part.image_url, ...(detail && { detail }) } }
    }
    default:
      throw invalid(`${at}.type`, `"${String(part.type)}" is not a content part the gateway translates (input_text, output_text, input_image).`)
  }
}

function toTool(raw: unknown, at: string): ChatTool {
  const tool = objectAt(raw, at)
  if (tool.type !== 'function') throw invalid(`${at}.type`, `"${String(tool.type)}" tools are not supported; only function tools are.`)
  const definition: Json = { name: stringAt(tool.name, `${at}.name`) }
  if (tool.description != null) definition.description = stringAt(tool.description, `${at}.description`)
  if (tool.parameters != null) definition.parameters = objectAt(tool.parameters, `${at}.parameters`)
  if (typeof tool.strict === 'boolean') definition.strict = tool.strict
  return { type: 'function', function: definition } as unknown as ChatTool
}

function toToolChoice(raw: unknown): ChatToolChoice {
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw
  const choice = objectAt(raw, 'tool_choice')
  if (choice.type !== 'function') throw invalid('tool_choice.type', `"${String(choice.type)}" is not supported; use auto, none, required or a function.`)
  return { type: 'function', function: { name: stringAt(choice.name, 'tool_choice.name') } }
}

function responseFormat(text: Json): Partial<ChatCompletionRequest> {
  if (text.format === undefined) return {}
  const format = objectAt(text.format, 'text.format')
  switch (format.type) {
    case 'text':
      return {}
    case 'json_object':
      return { response_format: { type: 'json_object' } }
    case 'json_schema': {
      const schema: Json = { name: stringAt(format.name, 'text.format.name'), schema: objectAt(format.schema, 'text.format.schema') }
      if (typeof format.strict === 'boolean') schema.strict = format.strict
      if (typeof format.description === 'string') schema.description = format.description
      return { response_format: { type: 'json_schema', json_schema: schema } } as Partial<ChatCompletionRequest>
    }
    default:
      throw invalid('text.format.type', `"${String(format.type)}" is not a text format (text, json_object, json_schema).`)
  }
}

// ==================================================================== answer

type OutputItem =
  | { type: 'message'; id: string; status: 'in_progress' | 'completed'; role: 'assistant'; content: Array<{ type: 'output_text'; text: string; annotations: [] }> }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'in_progress' | 'completed' }

function newId(prefix: string): string {
  // randomUUID draws from a cached entropy pool: a fresh randomBytes call per id cost more than the rest of a streamed translation.
  return `${prefix}_${randomUUID().replaceAll('-', '')}`
}

function usageOf(usage: Usage | null | undefined): Json {
  const input = usage?.prompt_tokens ?? 0
  const output = usage?.completion_tokens ?? 0
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output,
  }
}

/** One request's answers as Responses answers; the stream state is per instance. */
class ResponsesAnswer implements DialectAnswer {
  readonly #id = newId('resp')
  readonly #createdAt = Math.floor(Date.now() / 1000)
  readonly #request: Json
  #sequence = 0
  readonly #output: OutputItem[] = []
  /** The item receiving deltas: the text message, or the function call of that canonical tool index. */
  #open: { item: OutputItem; toolIndex: number | null } | null = null
  readonly #tools = new Map<number, Extract<OutputItem, { type: 'function_call' }>>()
  /** The open message's text so far as its deltas' JSON literals, decoded once when it closes: the fast path never parses a delta. */
  #textLiterals: string[] = []
  #finish: FinishReason | null = null
  #usage: Usage | null = null

  constructor(request: Json) {
    this.#request = request
  }

  body(completion: ChatCompletion): unknown {
    if (!isObject(completion) || !Array.isArray(completion.choices)) throw notACompletion('it has no choices')
    const choice = completion.choices[0]
    if (!isObject(choice) || !isObject(choice.message)) throw notACompletion('its first choice has no message')
    const { content, tool_calls: calls } = choice.message
    const output: OutputItem[] = []
    if (typeof content === 'string' && content !== '') output.push(this.#message(content, 'completed'))
    for (const call of calls ?? []) {
      if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') throw notACompletion('a tool call is not a function call')
      output.push({ type: 'function_call', id: newId('fc'), call_id: String(call.id), name: call.function.name, arguments: String(call.function.arguments ?? ''), status: 'completed' })
    }
    return this.#response(this.#statusOf(choice.finish_reason), output, completion.usage)
  }

  chunk(chunk: ChatCompletionChunk): string {
    let out = this.#start()
    if (chunk.usage) this.#usage = chunk.usage
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined
    if (!choice) return out
    const delta = choice.delta ?? {}
    if (typeof delta.content === 'string' && delta.content !== '') out += this.#textDelta(JSON.stringify(delta.content))
    for (const call of delta.tool_calls ?? []) {
      const known = this.#tools.get(call.index)
      if (!known || this.#open?.toolIndex !== call.index) {
        if (known) throw notACompletion(`tool call ${call.index} continues after another began`)
        out += this.#openTool(call.index, call.id ?? newId('call'), call.function?.name ?? '')
      }
      const item = this.#tools.get(call.index)!
      const fragment = call.function?.arguments ?? ''
      if (fragment !== '') {
        item.arguments += fragment
        out += this.#event('response.function_call_arguments.delta', { item_id: item.id, output_index: this.#output.indexOf(item), delta: fragment })
      }
    }
    if (choice.finish_reason) this.#finish = choice.finish_reason
    return out
  }

  contentDelta(literal: string): string {
    return this.#start() + this.#textDelta(literal)
  }

  end(): string {
    const out = this.#start() + this.#close()
    const status = this.#statusOf(this.#finish)
    const type = status === 'completed' ? 'response.completed' : 'response.incomplete'
    return out + this.#event(type, { response: this.#response(status, this.#output, this.#usage) })
  }

  error(error: DialectError, afterNative = false): string {
    const out = afterNative ? '' : this.#start() + this.#close()
    const failed = { ...this.#response('failed', this.#output, this.#usage), error: { code: error.code, message: error.message } }
    return out + this.#event('error', { code: error.code, message: error.message, param: error.param }) + this.#event('response.failed', { response: failed })
  }

  #start(): string {
    if (this.#sequence > 0) return ''
    const response = this.#response('in_progress', [], null)
    return this.#event('response.created', { response }) + this.#event('response.in_progress', { response })
  }

  #openText(): string {
    const closed = this.#close()
    const item = this.#message('', 'in_progress')
    this.#output.push(item)
    this.#open = { item, toolIndex: null }
    const output_index = this.#output.length - 1
    return (
      closed +
      this.#event('response.output_item.added', { output_index, item: { ...item, content: [] } }) +
      this.#event('response.content_part.added', { item_id: item.id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } })
    )
  }

  /**
   * A text delta given as its JSON literal, for both paths, so they cannot
   * drift apart; written out by hand, as #event would write it (the item's id
   * is `msg_` and hex: nothing to escape).
   */
  #textDelta(literal: string): string {
    const opened = this.#open?.item.type === 'message' ? '' : this.#openText()
    this.#textLiterals.push(literal)
    const type = 'response.output_text.delta'
    return `${opened}event: ${type}\ndata: {"type":"${type}","sequence_number":${this.#sequence++},"item_id":"${this.#open!.item.id}","output_index":${this.#output.length - 1},"content_index":0,"delta":${literal},"logprobs":[]}\n\n`
  }

  #openTool(toolIndex: number, callId: string, name: string): string {
    const closed = this.#close()
    const item: Extract<OutputItem, { type: 'function_call' }> = { type: 'function_call', id: newId('fc'), call_id: callId, name, arguments: '', status: 'in_progress' }
    this.#output.push(item)
    this.#tools.set(toolIndex, item)
    this.#open = { item, toolIndex }
    return closed + this.#event('response.output_item.added', { output_index: this.#output.length - 1, item: { ...item } })
  }

  #close(): string {
    const open = this.#open
    if (!open) return ''
    this.#open = null
    const { item } = open
    item.status = 'completed'
    const output_index = this.#output.indexOf(item)
    if (item.type === 'message') {
      const part = item.content[0]!
      part.text = (JSON.parse(`[${this.#textLiterals.join(',')}]`) as string[]).join('')
      this.#textLiterals = []
      return (
        this.#event('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text: part.text, logprobs: [] }) +
        this.#event('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part }) +
        this.#event('response.output_item.done', { output_index, item })
      )
    }
    return (
      this.#event('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: item.arguments }) +
      this.#event('response.output_item.done', { output_index, item })
    )
  }

  #message(text: string, status: 'in_progress' | 'completed'): Extract<OutputItem, { type: 'message' }> {
    return { type: 'message', id: newId('msg'), status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }
  }

  #statusOf(finish: FinishReason | null | undefined): 'completed' | 'incomplete' {
    return finish === 'length' ? 'incomplete' : 'completed'
  }

  #response(status: 'in_progress' | 'completed' | 'incomplete' | 'failed', output: OutputItem[], usage: Usage | null | undefined): Json {
    const request = this.#request
    const echo = (field: string, fallback: unknown = null) => request[field] ?? fallback
    return {
      id: this.#id,
      object: 'response',
      created_at: this.#createdAt,
      status,
      error: null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: echo('instructions'),
      max_output_tokens: echo('max_output_tokens'),
      model: echo('model', ''),
      output,
      parallel_tool_calls: echo('parallel_tool_calls', true),
      previous_response_id: null,
      store: false,
      temperature: echo('temperature'),
      text: echo('text', { format: { type: 'text' } }),
      tool_choice: echo('tool_choice', 'auto'),
      tools: echo('tools', []),
      top_p: echo('top_p'),
      metadata: echo('metadata', {}),
      usage: status === 'in_progress' ? null : usageOf(usage),
    }
  }

  #event(type: string, data: Json): string {
    const event: { type: string } & Json = { type, sequence_number: this.#sequence++, ...data }
    return sseEvent(event)
  }
}
