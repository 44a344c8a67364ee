import { Agent, errors as undiciErrors, type Dispatcher } from 'undici'
import type { LlmConfig } from '../config.js'
import { GatewayError } from '../errors.js'
import { SseSplitter, type SplitEvent, type SseEvent } from '../sse.js'
import { UpstreamBody } from './upstream-body.js'
import type { UpstreamLimits } from './vendor.js'

/**
 * One pooled HTTP client per LLM (keep-alive connections, at most
 * `upstreamMaxConnections`), not one for all: undici queues requests per pool,
 * so with a shared pool a hung LLM's requests fill every connection to its
 * host and a healthy LLM on the same host waits behind them. A pool per LLM
 * rather than per origin with per-LLM counters: undici's own queue then is the
 * per-LLM limit, with no second bookkeeping on the hot path; LLMs on one host
 * only give up sharing idle connections. Keyed by the config object, so a
 * reloaded LLM gets a fresh pool and the old one goes with its config.
 */
const pools = new WeakMap<LlmConfig, Agent>()

function poolOf(llm: LlmConfig, connections: number): Agent {
  let pool = pools.get(llm)
  if (!pool) {
    pool = new Agent({ keepAliveTimeout: 30_000, connections, pipelining: 1 })
    pools.set(llm, pool)
  }
  return pool
}

export interface UpstreamRequest {
  /** The LLM called: its own connection pool carries the request. */
  llm: LlmConfig
  url: string
  method?: Dispatcher.HttpMethod
  headers: Record<string, string>
  body?: string | Buffer
  signal: AbortSignal
  /** For the response head, from the call on (a wait for a free connection counts), and then between body chunks. */
  timeoutMs: number
  limits: Pick<UpstreamLimits, 'upstreamMaxConnections'>
}

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: UpstreamBody
}

/**
 * Sends a request upstream. Connection failures become UPSTREAM_UNREACHABLE,
 * no response head within `timeoutMs` of the call UPSTREAM_TIMEOUT (undici's
 * own header timeout starts only once a connection is free, so a request
 * queued behind a hung upstream would wait unbounded); an abort by the
 * caller is rethrown as it is (the client went away), also while queued.
 * Goes through undici's dispatch API rather than `request()`: see UpstreamBody for why.
 */
export function sendUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
  const { signal } = req
  if (signal.aborted) return Promise.reject(signal.reason)
  const url = new URL(req.url)
  return new Promise((resolve, reject) => {
    const body = new UpstreamBody()
    let response: UpstreamResponse | undefined
    let controller: Dispatcher.DispatchController | undefined
    // Why the request must stop: undici hands out a controller only once a connection is free,
    // so a request stopped while queued is answered at once and aborted when it leaves the queue.
    let stopped: Error | undefined
    const onAbort = () => stop(signal.reason as Error)
    const deadline = setTimeout(() => stop(new GatewayError('UPSTREAM_TIMEOUT', `the LLM at ${url.origin} did not answer within ${req.timeoutMs} ms`)), req.timeoutMs)
    deadline.unref()
    signal.addEventListener('abort', onAbort, { once: true })
    const finish = () => {
      clearTimeout(deadline)
      signal.removeEventListener('abort', onAbort)
    }
    const stop = (reason: Error) => {
      finish()
      stopped ??= reason
      controller?.abort(stopped)
      if (!response) reject(stopped)
    }
    poolOf(req.llm, req.limits.upstreamMaxConnections).dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method ?? 'POST',
        headers: req.headers,
        body: req.body,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      },
      {
        onRequestStart(start) {
          controller = start
          body.attach(start)
          if (stopped) start.abort(stopped)
        },
        onResponseStart(_controller, statusCode, headers) {
          if (statusCode < 200 || stopped) return
          clearTimeout(deadline)
          response = { statusCode, headers, body }
          resolve(response)
        },
        onResponseData(_controller, chunk) {
          body.push(chunk)
        },
        onResponseEnd() {
          finish()
          body.end()
        },
        onResponseError(_controller, error) {
          finish()
          const failure = upstreamFailure(error, req.url) as Error
          if (response) body.fail(failure)
          else reject(failure)
        },
      },
    )
  })
}

/** Maps a transport error to a GatewayError; caller aborts pass through untouched. */
export function upstreamFailure(error: unknown, url: string): unknown {
  if (error instanceof GatewayError) return error
  if (error instanceof Error && error.name === 'AbortError') return error
  const origin = new URL(url).origin
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('UPSTREAM_TIMEOUT', `the LLM at ${origin} did not answer in time`, undefined, { cause: error })
  }
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code
  return new GatewayError('UPSTREAM_UNREACHABLE', `the LLM at ${origin} could not be reached${code ? ` (${code})` : ''}`, undefined, { cause: error })
}

/** An error body is read for its message only: past this it is dropped. */
const ERROR_BODY_LIMIT = 64 * 1024

/**
 * The status the app gets for an LLM's error status. The app's own mistakes
 * (400, 404, 413, 422, …) and "slow down" (429, 503, Anthropic's 529) are passed
 * on, so clients see and retry them as they would against the vendor. A
 * refused vendor credential (401, 403, 407) is the gateway's problem, not the
 * app's, and any other 5xx is a bad gateway answer: both become 502.
 */
export function appStatusOfUpstream(status: number): number {
  if (refusedCredential(status)) return 502
  if (status >= 500 && status !== 503 && status !== 529) return 502
  return status >= 400 && status < 600 ? status : 502
}

/**
 * Reads an upstream error body and turns it into an UPSTREAM_ERROR with the
 * status the app gets (`appStatusOfUpstream`). Servers that refuse a key often
 * quote it ("Incorrect API key provided: sk-…"): the vendor's `apiKey` is cut
 * out of the message, which the app reads.
 */
export async function upstreamError(response: UpstreamResponse, describe: (status: number, body: unknown) => string, apiKey: string): Promise<GatewayError> {
  const text = await response.body.text(ERROR_BODY_LIMIT).catch(() => '')
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: the text itself is the detail
  }
  const message = describe(response.statusCode, body)
  return new GatewayError('UPSTREAM_ERROR', apiKey ? message.replaceAll(apiKey, '[vendor key]') : message, appStatusOfUpstream(response.statusCode))
}

/** Whether an upstream status means it refused the gateway's credential for it (the vendor key). */
export function refusedCredential(status: number): boolean {
  return status === 401 || status === 403 || status === 407
}

/** The message of an OpenAI-style error body, or a short excerpt of whatever came back. */
export function openAiErrorMessage(status: number, body: unknown): string {
  const message = (body as { error?: { message?: string } })?.error?.message
  return `upstream answered ${status}: ${message ?? String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 300)}`
}

/** UPSTREAM_INVALID_RESPONSE for an answer from `url` that breaks the format; `what` says which part. */
export function invalidResponse(url: string, what: string, cause?: unknown): GatewayError {
  return new GatewayError('UPSTREAM_INVALID_RESPONSE', `the LLM at ${new URL(url).origin} answered ${what}`, undefined, { cause })
}

/** Parses JSON from the LLM at `url`; UPSTREAM_INVALID_RESPONSE when it is not JSON. */
export function parseUpstreamJson(text: string, url: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw invalidResponse(url, `${what} that is not JSON`, cause)
  }
}

/**
 * Reads a whole JSON answer, at most `maxBytes` (else UPSTREAM_RESPONSE_TOO_LARGE,
 * checked on Content-Length first); UPSTREAM_INVALID_RESPONSE when it is not JSON.
 * Returns the bytes (to forward unchanged) and the parsed value.
 */
export async function readUpstreamJson(response: UpstreamResponse, options: { url: string; maxBytes: number }): Promise<{ bytes: Buffer; json: unknown }> {
  const { url, maxBytes } = options
  const declared = Number(response.headers['content-length'])
  if (declared > maxBytes) {
    response.body.cancel()
    throw new GatewayError('UPSTREAM_RESPONSE_TOO_LARGE', `the LLM's response of ${declared} bytes exceeds the limit of ${maxBytes}`)
  }
  const bytes = await response.body.bytes(maxBytes)
  return { bytes, json: parseUpstreamJson(bytes.toString('utf8'), url, 'a body') }
}

/**
 * The `type` field of an event's JSON data, where Anthropic's and the
 * Responses streams say what each event is (their event names repeat it, or
 * are left out by some servers); undefined when the data is not a JSON object.
 */
export function eventDataType(data: string): unknown {
  try {
    return (JSON.parse(data) as { type?: unknown } | null)?.type
  } catch {
    return undefined
  }
}

/**
 * Yields each complete SSE event of an upstream body, none larger than
 * `maxEventBytes` (else UPSTREAM_RESPONSE_TOO_LARGE). Throws
 * UPSTREAM_STREAM_TRUNCATED when the body ends before `isComplete` saw the
 * last event, or breaks off.
 */
export async function* sseEvents(
  response: UpstreamResponse,
  options: { url: string; maxEventBytes: number; isComplete: (event: SseEvent) => boolean },
): AsyncIterable<SplitEvent> {
  const { url, maxEventBytes, isComplete } = options
  const splitter = new SseSplitter(maxEventBytes)
  let complete = false
  try {
    for await (const chunk of response.body) {
      for (const item of splitter.push(chunk)) {
        if (isComplete(item.event)) complete = true
        yield item
      }
    }
  } catch (error) {
    const failure = upstreamFailure(error, url)
    if (failure instanceof GatewayError && failure.code === 'UPSTREAM_UNREACHABLE') {
      throw new GatewayError('UPSTREAM_STREAM_TRUNCATED', `the LLM stream from ${new URL(url).origin} broke off`, undefined, { cause: error })
    }
    throw failure
  }
  if (!complete) throw new GatewayError('UPSTREAM_STREAM_TRUNCATED', `the LLM stream from ${new URL(url).origin} ended before it was complete`)
}
