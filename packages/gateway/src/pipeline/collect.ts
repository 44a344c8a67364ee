import type { Exchange, Stage } from './exchange.js'

/** Deadline of one stream-complete call. */
const STREAM_COMPLETE_DEADLINE_MS = 10_000

/**
 * Once the rest of the pipeline is done (the response sent, the budget
 * settled), reports the request off the request path: stream-complete hooks
 * with the response that was relayed, and data collection (proxy log,
 * analytics, budget usage) for every request that was authenticated.
 */
export const collect: Stage = (x, next) => {
  const { chains } = x.state
  return chains.dataCollection.length === 0 && chains.streamComplete.length === 0 ? next() : reportAfter(x, next)
}

async function reportAfter(x: Exchange, next: () => Promise<void>): Promise<void> {
  try {
    await next()
  } finally {
    if (x.context) report(x)
  }
}

function report(x: Exchange): void {
  const { chains } = x.state
  const context = x.context!
  const usage = x.usage && { promptTokens: x.usage.promptTokens, completionTokens: x.usage.completionTokens, totalTokens: x.usage.totalTokens }
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
    requestId: x.requestId,
    timestampMs: Date.now(),
    appId: x.app?.id ?? '',
    userId: x.user?.id ?? '',
    llm: x.llm?.slug ?? '',
    model: x.model,
    latencyMs: Math.round(performance.now() - x.started),
    status: x.status,
  }
  collector.add('analytics', { ...common, usage, cost: x.cost, streaming: x.streaming })
  collector.add('proxyLogs', { ...common, method: x.request.method, path: x.url.pathname, requestBody: x.request.body, responseBody: x.responseBody })
  // One record per limit charged (the app's, the LLM's): its period key, its new spending and its limit.
  if (x.cost > 0) for (const { limit, period, spent } of x.settled) collector.add('budgetUsage', { appId: common.appId, period, cost: x.cost, spent, limit: limit.limitUsd })
}
