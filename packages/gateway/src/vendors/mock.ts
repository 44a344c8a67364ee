import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../errors.js'
import { sseData } from '../sse.js'
import { estimatePromptTokens, estimateTokens } from '../usage.js'
import type { Vendor, VendorCall, VendorResponse } from './vendor.js'

const WORDS = ['plugboard', 'routes', 'every', 'request', 'through', 'its', 'plugins', 'before', 'the', 'model', 'answers']

/** Embedding size without `dimensions` (text-embedding-3-small's), and the largest one asked for (text-embedding-3-large's). */
const DEFAULT_DIMENSIONS = 1536
const MAX_DIMENSIONS = 3072
/** OpenAI's own bounds on `n` and on the inputs of one embeddings request. */
const MAX_CHOICES = 128
const MAX_INPUTS = 2048
/**
 * Numbers one mock embeddings answer holds at most (inputs × dimensions): the
 * mock builds its answer on the gateway's event loop, so 2048 × 3072 (a
 * 130 MB answer) would stall every other request of a demo.
 */
const MAX_EMBEDDING_VALUES = 1 << 20
/** Nesting of a tool's parameter schema filled in; deeper objects are left empty, so a hostile schema costs little. */
const MAX_SCHEMA_DEPTH = 8

const DONE = Buffer.from(sseData('[DONE]'))

type Message = { role?: string; content?: unknown }

function messagesOf(body: Record<string, unknown>): Message[] {
  return Array.isArray(body.messages) ? (body.messages as Message[]) : []
}

function textOf(message: Message | undefined): string {
  if (typeof message?.content === 'string') return message.content
  if (Array.isArray(message?.content)) return message.content.map((part: { text?: unknown } | null) => (typeof part?.text === 'string' ? part.text : '')).join(' ')
  return ''
}

function lastUserText(body: Record<string, unknown>): string {
  return textOf(messagesOf(body).findLast((m) => m?.role === 'user'))
}

/** The deterministic reply: an echo of the prompt's start, then fixed words up to the configured token count. */
function replyWords(body: Record<string, unknown>, tokens: number): string[] {
  const echo = lastUserText(body).split(/\s+/).filter(Boolean).slice(0, 5)
  const words = ['Mock', 'reply', 'to:', ...echo]
  for (let i = 0; words.length < tokens; i++) words.push(WORDS[i % WORDS.length]!)
  return words.slice(0, tokens).map((word, i) => (i === 0 ? word : ` ${word}`))
}

/** An optional integer request field within [1, max]; INVALID_REQUEST otherwise. */
function boundedInteger(body: Record<string, unknown>, field: string, fallback: number, max: number): number {
  const value = body[field] ?? fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new GatewayError('INVALID_REQUEST', `"${field}" must be an integer from 1 to ${max} for the mock LLM`)
  }
  return value
}

interface FunctionTool {
  name: string
  parameters?: unknown
}

/**
 * The function the reply calls, if any. `tool_choice` `"required"` calls the
 * first tool, a named function calls that one, `"none"` none; `"auto"` (the
 * default when tools are offered) calls the first tool whose name the last
 * message, a user's, mentions, and answers text otherwise: deterministic, and a
 * client's tool loop ends once it sends the tool's result.
 */
function chosenTool(body: Record<string, unknown>): FunctionTool | undefined {
  const tools = (Array.isArray(body.tools) ? (body.tools as Array<{ type?: unknown; function?: { name?: unknown; parameters?: unknown } } | null>) : [])
    .filter((tool) => tool?.type === 'function' && typeof tool.function?.name === 'string')
    .map((tool) => ({ name: tool!.function!.name as string, parameters: tool!.function!.parameters }))
  const choice = body.tool_choice ?? 'auto'
  if (tools.length === 0 || choice === 'none') return undefined
  if (choice === 'required') return tools[0]
  if (typeof choice === 'object' && choice !== null) {
    const name = (choice as { function?: { name?: unknown } }).function?.name
    const tool = tools.find((candidate) => candidate.name === name)
    if (!tool) throw new GatewayError('INVALID_REQUEST', `"tool_choice" names function "${String(name)}", which "tools" does not offer`)
    return tool
  }
  const last = messagesOf(body).at(-1)
  if (last?.role !== 'user') return undefined
  const text = textOf(last).toLowerCase()
  return tools.find((tool) => text.includes(tool.name.toLowerCase()))
}

/** Arguments that fit a JSON schema: each property filled by its type (the prompt for strings). */
function argumentsFor(schema: unknown, prompt: string, depth = 0): unknown {
  const s = (typeof schema === 'object' && schema !== null ? schema : {}) as {
    type?: unknown
    enum?: unknown
    properties?: Record<string, unknown>
    minimum?: unknown
  }
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  switch (type) {
    case 'string':
      return prompt
    case 'number':
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 1
    case 'boolean':
      return true
    case 'array':
      return []
    case 'null':
      return null
    default: {
      if (depth >= MAX_SCHEMA_DEPTH || typeof s.properties !== 'object' || s.properties === null) return {}
      const properties = Object.entries(s.properties)
      return Object.fromEntries(properties.map(([name, property]) => [name, argumentsFor(property, prompt, depth + 1)]))
    }
  }
}

/** One choice of the reply: text in pieces, or a function call whose arguments come in pieces. */
type Reply =
  /** `cut`: the request's token limit ended it (finish reason "length"). */
  | { kind: 'text'; pieces: string[]; tokens: number; cut: boolean }
  | { kind: 'tool'; id: string; name: string; pieces: string[]; tokens: number }

function reply(call: VendorCall, index: number): Reply {
  const { mock } = call.llm
  const perPiece = (length: number) => Math.ceil(length / Math.max(1, mock.chunks))
  const tool = chosenTool(call.body)
  if (!tool) {
    // As a real LLM does, the reply stops at the request's limit: the budget reserved no more.
    const tokens = Math.min(mock.completionTokens, tokenLimitOf(call.body))
    const words = replyWords(call.body, tokens)
    const size = perPiece(words.length)
    const pieces: string[] = []
    for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''))
    return { kind: 'text', pieces, tokens: words.length, cut: tokens < mock.completionTokens }
  }
  const args = JSON.stringify(argumentsFor(tool.parameters, lastUserText(call.body).slice(0, 200)))
  const size = perPiece(args.length)
  const pieces: string[] = []
  for (let i = 0; i < args.length; i += size) pieces.push(args.slice(i, i + size))
  return { kind: 'tool', id: `call_mock_${index}_${call.requestId}`, name: tool.name, pieces, tokens: estimateTokens(tool.name + args) }
}

function messageOf(r: Reply): object {
  if (r.kind === 'text') return { role: 'assistant', content: r.pieces.join(''), refusal: null }
  return { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: r.id, type: 'function', function: { name: r.name, arguments: r.pieces.join('') } }] }
}

/** The delta of streamed piece `i` (-1: the opening delta). */
function deltaOf(r: Reply, i: number): object {
  if (r.kind === 'text') return i < 0 ? { role: 'assistant', content: '' } : { content: r.pieces[i] }
  if (i < 0) return { role: 'assistant', content: null, tool_calls: [{ index: 0, id: r.id, type: 'function', function: { name: r.name, arguments: '' } }] }
  return { tool_calls: [{ index: 0, function: { arguments: r.pieces[i] } }] }
}

function finishReasonOf(r: Reply): string {
  if (r.kind === 'tool') return 'tool_calls'
  return r.cut ? 'length' : 'stop'
}

/** The completion tokens a request allows each choice (`max_completion_tokens`, else `max_tokens`); no limit when it sets none. */
function tokenLimitOf(body: Record<string, unknown>): number {
  const limit = body.max_completion_tokens ?? body.max_tokens
  return typeof limit === 'number' && Number.isInteger(limit) && limit > 0 ? limit : Infinity
}

/** A deterministic unit vector for `text`: equal texts get equal vectors, so similarity search can be demoed. */
function embeddingOf(text: string, dimensions: number): Float32Array {
  // FNV-1a of the text seeds a xorshift sequence.
  let seed = 0x811c9dc5
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193)
  seed ||= 1 // xorshift stays at 0 forever
  const vector = new Float32Array(dimensions)
  let norm = 0
  for (let d = 0; d < dimensions; d++) {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    const value = (seed >>> 0) / 0xffffffff - 0.5
    vector[d] = value
    norm += value * value
  }
  const scale = 1 / Math.sqrt(norm || 1)
  for (let d = 0; d < dimensions; d++) vector[d]! *= scale
  return vector
}

/** OpenAI's `encoding_format: "base64"`: the little-endian float32 bytes, base64-encoded. */
function base64Of(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4)
  for (let d = 0; d < vector.length; d++) bytes.writeFloatLE(vector[d]!, d * 4)
  return bytes.toString('base64')
}

/**
 * The built-in `mock` vendor: deterministic replies with configurable latency,
 * token counts and chunking, so the whole system runs with no API key. Speaks
 * enough of the API for real clients: `n` choices, tool calls (see
 * {@link chosenTool}), streamed as OpenAI streams them, and embeddings of
 * `dimensions` (default 1536, at most 3072) as floats or base64.
 */
export const mockVendor: Vendor = {
  async chat(call: VendorCall): Promise<VendorResponse> {
    const { mock } = call.llm
    const n = boundedInteger(call.body, 'n', 1, MAX_CHOICES)
    const replies = Array.from({ length: n }, (_, index) => reply(call, index))
    const promptTokens = estimatePromptTokens(call.body)
    const completionTokens = replies.reduce((sum, r) => sum + r.tokens, 0)
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
    const id = `chatcmpl-mock-${call.requestId}`
    const created = Math.floor(Date.now() / 1000)
    if (mock.latencyMs > 0) await sleep(mock.latencyMs, undefined, { signal: call.signal })
    if (call.body.stream !== true) {
      const completion = {
        id,
        object: 'chat.completion',
        created,
        model: call.model,
        choices: replies.map((r, index) => ({ index, message: messageOf(r), finish_reason: finishReasonOf(r), logprobs: null })),
        usage,
      }
      return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(completion)) }
    }
    const includeUsage = (call.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
    const event = (choices: object[], extra?: object) =>
      Buffer.from(sseData(JSON.stringify({ id, object: 'chat.completion.chunk', created, model: call.model, choices, ...extra })))
    const chunk = (index: number, delta: object, finishReason: string | null) => event([{ index, delta, finish_reason: finishReason, logprobs: null }])
    async function* events(): AsyncIterable<Buffer> {
      for (const [index, r] of replies.entries()) yield chunk(index, deltaOf(r, -1), null)
      const steps = Math.max(...replies.map((r) => r.pieces.length))
      for (let i = 0; i < steps; i++) {
        if (mock.chunkDelayMs > 0) await sleep(mock.chunkDelayMs, undefined, { signal: call.signal })
        for (const [index, r] of replies.entries()) if (i < r.pieces.length) yield chunk(index, deltaOf(r, i), null)
      }
      for (const [index, r] of replies.entries()) yield chunk(index, {}, finishReasonOf(r))
      if (includeUsage) yield event([], { usage })
      yield DONE
    }
    return { kind: 'stream', status: 200, headers: { 'content-type': 'text/event-stream' }, events: events() }
  },

  async embeddings(call: VendorCall): Promise<VendorResponse> {
    const inputs = Array.isArray(call.body.input) ? (call.body.input as unknown[]) : [call.body.input]
    if (inputs.length > MAX_INPUTS) throw new GatewayError('INVALID_REQUEST', `"input" may hold at most ${MAX_INPUTS} inputs`)
    const dimensions = boundedInteger(call.body, 'dimensions', DEFAULT_DIMENSIONS, MAX_DIMENSIONS)
    if (inputs.length * dimensions > MAX_EMBEDDING_VALUES) {
      throw new GatewayError('INVALID_REQUEST', `the mock LLM answers at most ${MAX_EMBEDDING_VALUES} numbers per request (inputs × dimensions); send fewer inputs or dimensions`)
    }
    const format = call.body.encoding_format ?? 'float'
    if (format !== 'float' && format !== 'base64') throw new GatewayError('INVALID_REQUEST', '"encoding_format" must be "float" or "base64"')
    const data = inputs.map((input, index) => {
      const vector = embeddingOf(String(input), dimensions)
      return { object: 'embedding', index, embedding: format === 'base64' ? base64Of(vector) : Array.from(vector) }
    })
    const promptTokens = estimateTokens(inputs.map(String).join(' '))
    const body = { object: 'list', data, model: call.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }
    return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) }
  },
}
