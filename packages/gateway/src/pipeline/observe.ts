import { sendError } from '../http-io.js'
import type { Stage } from './exchange.js'

/**
 * Answers any failure of the stages after it with the JSON error (or ends a
 * stream that already started), then counts the request in metrics and logs
 * one line for it.
 */
export const observe: Stage = async (x, next) => {
  try {
    await next()
  } catch (error) {
    if (x.signal.aborted) x.status ||= 499
    else x.status = sendError(x.res, error, x.requestId, x.log)
  } finally {
    x.aborted = x.signal.aborted
    const seconds = (performance.now() - x.started) / 1000
    const llm = x.llm?.slug ?? ''
    const app = x.app?.id ?? ''
    x.services.metrics.requestAnswered(x.route, x.status, llm, app, seconds)
    x.log.info({ status: x.status, llm, app, ms: Math.round(seconds * 1000), aborted: x.aborted }, 'request completed')
  }
}
