import type { IncomingMessage, ServerResponse } from 'node:http'
import type { pluginv1 as pb } from '@plugboard/proto'
import type { Logger } from 'pino'
import type { Dialect, DialectAnswer, DialectError } from './dialects/dialect.js'
import { GatewayError, errorResponse, type ErrorBody } from './errors.js'
import { jsonNestsDeeper } from './json-depth.js'
import { sseData } from './sse.js'

/** Deeper JSON is refused before it is parsed: no OpenAI request nests near this, and recursive code downstream would overflow. */
const MAX_JSON_DEPTH = 64

/** Reads a request body up to `limit` bytes; BODY_TOO_LARGE past it (checked on Content-Length first). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) return Promise.reject(new GatewayError('BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${limit}`))
  // Stream events rather than async iteration: this runs on every request and events cost less.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      req.off('data', onData)
      req.resume()
      reject(new GatewayError('BODY_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`))
    }
    req.on('data', onData)
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

/** Parsed HTTP headers as hooks see them: lower-case names, repeated values joined with ", "; the names in `drop` left out. */
export function flatHeaders(headers: Record<string, string | string[] | undefined>, drop?: ReadonlySet<string>): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop?.has(name)) flat[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}

/** The request as hooks see it. */
export function hookRequest(req: IncomingMessage, url: URL, body: Buffer): pb.HttpRequest {
  return { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: flatHeaders(req.headers), body, clientIp: req.socket.remoteAddress ?? '' }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body))
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': payload.length })
  res.end(payload)
}

/** An error answer's parts as a dialect builds its own error shape from them. */
export function dialectError(status: number, body: ErrorBody): DialectError {
  return { status, ...body.error }
}

/**
 * Answers a failed request with the JSON error, logged (as an error from 500
 * up): OpenAI's shape, or the shape of the API the client speaks (`dialect`).
 * A response already under way cannot change its status: an event stream
 * gets the error as its last event(s) (`answer` translates them), anything
 * else just ends. Returns the status and code, for metrics and records.
 */
export function sendError(
  res: ServerResponse,
  error: unknown,
  requestId: string,
  log: Logger,
  dialect?: Dialect,
  answer?: DialectAnswer,
): { status: number; code: string } {
  const { status, body } = errorResponse(error, requestId)
  if (status >= 500) log.error({ err: error, code: body.error.code }, 'request failed')
  else log.info({ code: body.error.code, status }, 'request rejected')
  if (!res.headersSent) {
    const shaped = dialect ? dialect.errorBody(dialectError(status, body)) : body
    sendJson(res, status, shaped, { ...(error instanceof GatewayError ? error.headers : undefined), 'x-request-id': requestId })
  } else if (!res.writableEnded && !res.destroyed) {
    res.end(res.getHeader('content-type') === 'text/event-stream' ? streamError(status, body, answer) : undefined)
  }
  return { status, code: body.error.code }
}

/** The error event that ends a stream: OpenAI's `data:` event, or the client's API's events. */
export function streamError(status: number, body: ErrorBody, answer: DialectAnswer | undefined, afterNative = false): string {
  return answer ? answer.error(dialectError(status, body), afterNative) : sseData(JSON.stringify(body))
}

/**
 * Starts a streamed response and sends its head at once. Headers go through
 * setHeader so that `sendError` can still tell an event stream by its type.
 */
export function startStream(res: ServerResponse, status: number, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.writeHead(status)
  res.flushHeaders()
}

export function sendBytes(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
  const { 'content-length': _length, 'transfer-encoding': _encoding, ...rest } = headers
  res.writeHead(status, { ...rest, 'content-length': body.length })
  res.end(body)
}

/**
 * Writes one chunk of a streamed response, respecting backpressure: when the
 * socket's buffer is full, resolves once it drained, or the client left
 * (then `signal` has aborted and the caller stops).
 */
export function writeChunk(res: ServerResponse, chunk: Uint8Array | string, signal: AbortSignal): Promise<void> | undefined {
  return res.write(chunk) ? undefined : drained(res, signal)
}

/** Resolves when the response's socket buffer has drained, or the client left (`signal` aborted). */
export function drained(res: ServerResponse, signal: AbortSignal): Promise<void> | undefined {
  if (signal.aborted || !res.writableNeedDrain) return undefined
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      signal.removeEventListener('abort', done)
      resolve()
    }
    res.on('drain', done)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** Parses a JSON object body; INVALID_JSON, or INVALID_REQUEST when it is not an object or nests deeper than MAX_JSON_DEPTH. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (jsonNestsDeeper(body, MAX_JSON_DEPTH)) throw new GatewayError('INVALID_REQUEST', `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`)
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (cause) {
    throw new GatewayError('INVALID_JSON', `request body is not valid JSON: ${(cause as Error).message}`, undefined, { cause })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('INVALID_REQUEST', 'request body must be a JSON object')
  return parsed as Record<string, unknown>
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/** Whether a content type is JSON: `application/json` or `application/…+json`, with any parameters. */
export function isJsonType(contentType: string | undefined): boolean {
  return JSON_TYPE.test(contentType ?? '')
}

export function requireJsonContentType(headers: Record<string, string>): void {
  const type = headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new GatewayError('UNSUPPORTED_CONTENT_TYPE', `expected content-type application/json, got ${type ? `"${type}"` : 'none'}`)
  }
}
