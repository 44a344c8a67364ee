import { sendError } from '../http-io.js'
import type { Stage } from './exchange.js'

/**
 * Answers any failure of the stages after it with the JSON error (or ends a
 * stream that already started), settles the request's outcome on the
 * exchange (status, error code, aborted, latency: what metrics, the log line
 * and the records after it all read), then counts the request in metrics
 * and logs one line for it.
 */
export const observe: Stage = async (x, next) => {
  try {
    await next()
  } catch (error) {
    if (x.signal.aborted) x.status ||= 499
    else ({ status: x.status, code: x.errorCode } = sendError(x.res, error, x.requestId, x.log, x.dialect, x.answer))
  } finally {
    x.aborted = x.signal.aborted
    x.latencyMs = performance.now() - x.started
    const llm = x.llm?.slug ?? ''
    const app = x.app?.id ?? ''
    x.services.metrics.requestAnswered(x.route, x.status, llm, app, x.latencyMs / 1000)
    x.log.info({ status: x.status, llm, app, ms: Math.round(x.latencyMs), aborted: x.aborted }, 'request completed')
  }
}
