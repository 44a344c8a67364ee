import {
  BasePlugin,
  PlugboardError,
  modify,
  pass,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type PostAuthHook,
  type PostAuthRequest,
  type RequestHookResult,
  type ResponseBodyEvent,
  type ResponseBodyResult,
  type ResponseChunkEvent,
  type ResponseChunkResult,
  type ResponseHook,
} from '@plugboard/sdk'
import { redactContent, redactPrompt } from './chat-content.js'
import { PII_KINDS, Redactor, type PiiKind } from './redactor.js'
import { StreamRedactor } from './stream-redactor.js'

export interface PiiRedactorConfig {
  /** What to redact; default both. */
  kinds?: PiiKind[]
}

/**
 * A stream whose end never arrived is forgotten after this long. The host announces every end,
 * a broken-off one too (`aborted`); this covers what no message can: a host that died mid-stream,
 * a hook channel that broke before the end got through.
 */
const ABANDONED_STREAM_MS = 60 * 60_000

function parseConfig(config: JsonValue): PiiKind[] {
  if (config === null) return [...PII_KINDS]
  const value = config as PiiRedactorConfig
  if (typeof value !== 'object' || Array.isArray(value)) throw new PlugboardError('CONFIG_INVALID', 'pii-redactor config must be an object')
  const kinds = value.kinds ?? [...PII_KINDS]
  if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every((kind) => PII_KINDS.includes(kind))) {
    throw new PlugboardError('CONFIG_INVALID', `pii-redactor: "kinds" must be a non-empty list of ${PII_KINDS.map((k) => `"${k}"`).join(', ')}`)
  }
  return kinds
}

type JsonObject = { [key: string]: JsonValue }

/**
 * Where requests carry prompt text: chat's and Anthropic's `messages`, the
 * embeddings and Responses APIs' `input`, the legacy completions' `prompt`,
 * the Responses API's `instructions`, Anthropic's `system`.
 */
const PROMPT_FIELDS = ['messages', 'input', 'prompt', 'instructions', 'system'] as const

const asObject = (value: JsonValue | undefined): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined

function parseObject(bytes: Buffer): JsonObject | undefined {
  try {
    return asObject(JSON.parse(bytes.toString('utf8')) as JsonValue)
  } catch {
    return undefined
  }
}

/** Redacts the `content` of each message in place; returns how many matches it replaced. */
function redactMessages(messages: Array<JsonObject | undefined>, redactor: Redactor): number {
  let total = 0
  for (const message of messages) {
    if (!message) continue
    const { content, count } = redactContent(message.content, redactor)
    if (count > 0) message.content = content!
    total += count
  }
  return total
}

/**
 * Keeps emails and phone numbers out of LLM traffic: rewrites them to
 * `[EMAIL]` / `[PHONE]` in the prompts of requests (chat, embeddings,
 * Responses, completions, Anthropic messages) before the upstream sees them, and in
 * completions before the client does, whole or streamed (a match split across
 * SSE chunks is held back until it can be redacted whole).
 */
export class PiiRedactor extends BasePlugin implements PostAuthHook, ResponseHook, ConfigProvider {
  readonly manifest = {
    id: 'pii-redactor',
    name: 'PII redactor',
    version: '0.1.0',
    description: 'Redacts emails and phone numbers in prompts and completions, including SSE streams',
    runtimes: ['gateway' as const, 'studio' as const],
  }
  #redactor = new Redactor(PII_KINDS)
  /** Per response stream, by request id; chunks of one stream arrive one at a time, in order. */
  readonly #streams = new Map<string, StreamRedactor>()

  configSchema(): JsonValue {
    return {
      type: 'object',
      properties: {
        kinds: { type: 'array', items: { enum: [...PII_KINDS] }, minItems: 1, default: [...PII_KINDS], description: 'What to redact' },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#redactor = new Redactor(parseConfig(ctx.config))
  }

  postAuth({ request }: PostAuthRequest, ctx: HookContext): RequestHookResult {
    const body = parseObject(request.body)
    if (!body) return pass()
    // Every route's prompt, not only chat's: a client must not dodge the redactor by choosing another API.
    let count = 0
    for (const field of PROMPT_FIELDS) {
      if (body[field] === undefined) continue
      const redacted = redactPrompt(body[field], this.#redactor)
      if (redacted.count === 0) continue
      body[field] = redacted.value!
      count += redacted.count
    }
    if (count === 0) return pass()
    ctx.log.info('redacted PII in request', { redactions: count })
    return modify({ body, metadata: { piiRedactions: String(count) } })
  }

  onResponseBody({ body }: ResponseBodyEvent, ctx: HookContext): ResponseBodyResult {
    const completion = parseObject(body)
    if (!completion || !Array.isArray(completion.choices)) return { action: 'pass' }
    const count = redactMessages(completion.choices.map((choice) => asObject(asObject(choice)?.message)), this.#redactor)
    if (count === 0) return { action: 'pass' }
    ctx.log.info('redacted PII in response', { redactions: count })
    return { action: 'replace', body: completion }
  }

  onResponseChunk({ context, data, endOfStream, aborted }: ResponseChunkEvent, ctx: HookContext): ResponseChunkResult {
    let stream = this.#streams.get(context.requestId)
    if (endOfStream) {
      this.#streams.delete(context.requestId)
      // A stream that broke off has no client left to release held-back text to.
      if (!stream || aborted) return { action: 'pass' }
      const rest = stream.end()
      if (stream.redactions > 0) ctx.log.info('redacted PII in response stream', { redactions: stream.redactions })
      return { action: 'replace', data: rest }
    }
    if (!stream) {
      this.#forgetAbandoned()
      this.#streams.set(context.requestId, (stream = new StreamRedactor(this.#redactor)))
    }
    const out = stream.push(data)
    return out === data.toString('utf8') ? { action: 'pass' } : { action: 'replace', data: out }
  }

  /** Streams are kept in start order, so the abandoned ones are at the front. */
  #forgetAbandoned(): void {
    for (const [id, stream] of this.#streams) {
      if (Date.now() - stream.startedAt < ABANDONED_STREAM_MS) return
      this.#streams.delete(id)
    }
  }
}
