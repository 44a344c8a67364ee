import { Agent, errors as undiciErrors, type Dispatcher } from 'undici'
import { GatewayError } from '../errors.js'
import { SseSplitter } from '../sse.js'
import { UpstreamBody } from './upstream-body.js'

/** One pooled HTTP client for every upstream: keep-alive connections per origin. */
const upstreamAgent = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 })

export interface UpstreamRequest {
  url: string
  method?: Dispatcher.HttpMethod
  headers: Record<string, string>
  body?: string | Buffer
  signal: AbortSignal
  timeoutMs: number
}

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: UpstreamBody
}

/**
 * Sends a request upstream. Connection failures become UPSTREAM_UNREACHABLE,
 * a missing answer within `timeoutMs` UPSTREAM_TIMEOUT; an abort by the caller
 * is rethrown as it is (the client went away). Goes through undici's dispatch
 * API rather than `request()`: see UpstreamBody for why.
 */
export function sendUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
  const { signal } = req
  if (signal.aborted) return Promise.reject(signal.reason)
  const url = new URL(req.url)
  return new Promise((resolve, reject) => {
    const body = new UpstreamBody()
    let response: UpstreamResponse | undefined
    let controller: Dispatcher.DispatchController | undefined
    const onAbort = () => controller?.abort(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    const finish = () => signal.removeEventListener('abort', onAbort)
    upstreamAgent.dispatch(
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
          if (signal.aborted) onAbort()
        },
        onResponseStart(_controller, statusCode, headers) {
          if (statusCode < 200) return
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

/** Reads an upstream error body and turns it into an UPSTREAM_ERROR carrying the upstream status. */
export async function upstreamError(response: UpstreamResponse, describe: (status: number, body: unknown) => string): Promise<GatewayError> {
  const text = await response.body.text().catch(() => '')
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: the text itself is the detail
  }
  return new GatewayError('UPSTREAM_ERROR', describe(response.statusCode, body), response.statusCode)
}

/** The message of an OpenAI-style error body, or a short excerpt of whatever came back. */
export function openAiErrorMessage(status: number, body: unknown): string {
  const message = (body as { error?: { message?: string } })?.error?.message
  return `upstream answered ${status}: ${message ?? String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 300)}`
}

/**
 * Yields each complete SSE event of an upstream body. Throws
 * UPSTREAM_STREAM_TRUNCATED when the body ends before `isComplete` saw the
 * last event, or breaks off.
 */
export async function* sseEvents(
  response: UpstreamResponse,
  url: string,
  isComplete: (event: { event: string; data: string }) => boolean,
): AsyncIterable<{ raw: string; event: { event: string; data: string } }> {
  const splitter = new SseSplitter()
  let complete = false
  try {
    for await (const chunk of response.body) {
      for (const item of splitter.push(chunk as Buffer)) {
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
