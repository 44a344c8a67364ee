import { answerBlocked } from './blocked.js'
import type { Stage } from './exchange.js'

/** Pre-auth hooks see the raw request: they may pass, change its headers and body, or block it. */
export const preAuth: Stage = async (x, next) => {
  const chain = x.state.chains.preAuth
  if (chain.size > 0) {
    const outcome = await chain.runPreAuth(x.requestId, x.request, x.signal)
    if (outcome.kind === 'block') return answerBlocked(x, outcome)
    x.request = outcome.request
    x.metadata = outcome.metadata
  }
  await next()
}
