import type { RequestRecord } from '../request-log.js'
import type { Exchange, Stage } from './exchange.js'

/** Deadline of one stream-complete call. */
const STREAM_COMPLETE_DEADLINE_MS = 10_000

/**
 * Once the rest of the pipeline is done (the response sent, the budget
 * settled), reports the request off the request path: stream-complete hooks
 * with the response that was relayed, data collection (proxy log,
 * analytics, budget usage) for every request that was authenticated, and —
 * on the LLM routes, those with an `api` — the request log for every
 * request, refused ones included.
 */
export const collect: Stage = (x, next) => {
  const { chains } = x.state
  const logged = x.api !== undefined && x.services.requestLog !== undefined
  return !logged && chains.dataCollection.length === 0 && chains.streamComplete.length === 0 ? next() : reportAfter(x, next, logged)
}

async function reportAfter(x: Exchange, next: () => Promise<void>, logged: boolean): Promise<void> {
  try {
    await next()
  } finally {
    const outcome = outcomeOf(x)
    if (x.context) report(x, outcome)
    if (logged) x.services.requestLog!(outcome)
  }
}

/** What became of the request, read once from what the stages settled: every record below derives from it. */
function outcomeOf(x: Exchange): RequestRecord {
  return {
    at: x.receivedAt,
    requestId: x.requestId,
    api: x.api ?? x.route,
    appId: x.app?.id || null,
    userId: x.user?.id || null,
    llm: x.llm?.slug || null,
    model: x.model || null,
    status: x.status,
    errorCode: x.errorCode,
    promptTokens: x.usage?.promptTokens ?? 0,
    completionTokens: x.usage?.completionTokens ?? 0,
    cost: x.cost,
    latencyMs: x.latencyMs,
    streamed: x.streaming,
    aborted: x.aborted,
  }
}

function report(x: Exchange, outcome: RequestRecord): void {
  const { chains } = x
  const context = x.context!
  const usage = x.usage && { promptTokens: outcome.promptTokens, completionTokens: outcome.completionTokens, totalTokens: x.usage.totalTokens }
  if (x.response && x.status > 0 && chains.streamComplete.length > 0) {
    // A cut body says so in the context plugins see.
    const eventContext = x.truncated ? { ...context, metadata: { ...context.metadata, 'plugboard.response_truncated': 'true' } } : context
    const event = { context: eventContext, status: x.status, body: x.responseBody, usage, aborted: x.aborted }
    const bound = x.services.streamComplete
    for (const plugin of chains.streamComplete) {
      // Calls that hang must not pile up: past the cap new ones are skipped and counted.
      if (bound.inFlight >= bound.max) {
        x.services.metrics.streamCompleteSkipped.inc({ plugin: plugin.name })
        continue
      }
      bound.inFlight++
      plugin
        .rpc('streamComplete', event, { deadlineMs: STREAM_COMPLETE_DEADLINE_MS })
        .catch(() => undefined)
        .finally(() => bound.inFlight--)
    }
  }
  if (chains.dataCollection.length === 0) return
  const { collector } = x.services
  const common = {
    requestId: outcome.requestId,
    timestampMs: Date.now(),
    appId: outcome.appId ?? '',
    userId: outcome.userId ?? '',
    llm: outcome.llm ?? '',
    model: outcome.model ?? '',
    latencyMs: Math.round(outcome.latencyMs),
    status: outcome.status,
  }
  collector.add('analytics', { ...common, usage, cost: outcome.cost, streaming: outcome.streamed, api: x.api ?? '' })
  collector.add('proxyLogs', { ...common, method: x.request.method, path: x.url.pathname, requestBody: x.request.body, responseBody: x.responseBody })
  // One record per limit charged (the app's, the LLM's): its period key, its new spending and its limit.
  if (outcome.cost > 0) for (const { limit, period, spent } of x.settled) collector.add('budgetUsage', { appId: common.appId, period, cost: outcome.cost, spent, limit: limit.limitUsd })
}
