import type { Dialect, DialectAnswer } from '../dialects/dialect.js'
import { notACompletion } from '../dialects/fields.js'
import { GatewayError, type ErrorBody } from '../errors.js'
import { dialectError, isJsonType } from '../http-io.js'
import type { ChatCompletion, ChatCompletionChunk } from '../openai-types.js'
import { SseSplitter } from '../sse.js'
import { contentDeltaLiteral } from './content-delta.js'

/** A canonical JSON answer (as the response-body hooks left it) in the client's API; an answer that is not JSON cannot be translated. */
export function translatedBody(answer: DialectAnswer, body: Buffer, url: string): Buffer {
  let completion: unknown
  try {
    completion = JSON.parse(body.toString('utf8'))
  } catch (cause) {
    throw new GatewayError('UPSTREAM_INVALID_RESPONSE', `the answer of ${url || 'the LLM'} is not JSON and cannot be translated to the client's API`, undefined, { cause })
  }
  return translatedCompletion(answer, completion)
}

function translatedCompletion(answer: DialectAnswer, completion: unknown): Buffer {
  return Buffer.from(JSON.stringify(shapeChecked(() => answer.body(completion as ChatCompletion))))
}

/**
 * Runs a translation of a canonical answer. The answers check its outline but
 * trust the types inside (a `tool_calls` that is a list, a choice that is an
 * object): one of another shape (a broken upstream, a hook's rewrite) fails in
 * them with a TypeError, which is the LLM side's fault, not the gateway's.
 */
function shapeChecked<T>(translate: () => T): T {
  try {
    return translate()
  } catch (error) {
    if (error instanceof GatewayError) throw error
    throw notACompletion('a field has the wrong type', error)
  }
}

/**
 * Turns the canonical event stream (as the chunk hooks left it: one output
 * may hold several events, or part of one) into the client's API's events.
 * An event that is not a JSON chunk (a hook's comment, a keep-alive) has no
 * translation and is dropped.
 */
export class StreamTranslation {
  readonly #splitter = new SseSplitter()

  constructor(private readonly answer: DialectAnswer) {}

  push(data: Buffer): string {
    let out = ''
    for (const { event } of this.#splitter.push(data)) {
      if (event.data === '[DONE]') {
        out += this.answer.end()
        continue
      }
      const fast = this.#contentDelta(event.data)
      if (fast !== undefined) {
        out += fast
        continue
      }
      let chunk: unknown
      try {
        chunk = JSON.parse(event.data)
      } catch {
        continue
      }
      if (typeof chunk === 'object' && chunk !== null) out += shapeChecked(() => this.answer.chunk(chunk as ChatCompletionChunk))
    }
    return out
  }

  /** Most of a stream is bare text deltas: those skip the parser when the answer has that fast path. */
  #contentDelta(data: string): string | undefined {
    if (!this.answer.contentDelta) return undefined
    const literal = contentDeltaLiteral(data)
    return literal === undefined ? undefined : this.answer.contentDelta(literal)
  }
}

/**
 * What a blocking plugin answered, in the client's API: an OpenAI-shaped
 * error (a rate limiter's 429) in the API's error shape; after translation
 * (post-auth), a canonical completion or event stream (a cache hit) as the
 * API's answer. Anything else is relayed as the plugin sent it.
 */
export function translatedBlock(dialect: Dialect, answer: DialectAnswer | undefined, block: { status: number; headers: Record<string, string>; body: Buffer }): Buffer {
  const type = block.headers['content-type']
  if (block.status >= 400 && isJsonType(type)) {
    const error = parsedJson(block.body) as Partial<ErrorBody> | undefined
    if (typeof error?.error?.message !== 'string') return block.body
    const { message, type: errorType = 'invalid_request_error', code = '', param = null } = error.error
    return Buffer.from(JSON.stringify(dialect.errorBody(dialectError(block.status, { error: { message, type: errorType, code: String(code), param } }))))
  }
  if (!answer || block.status >= 300) return block.body
  if (isJsonType(type)) {
    const completion = parsedJson(block.body)
    return completion === undefined ? block.body : translatedCompletion(answer, completion)
  }
  if (type?.startsWith('text/event-stream')) return Buffer.from(new StreamTranslation(answer).push(block.body))
  return block.body
}

function parsedJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}
