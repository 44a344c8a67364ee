import { answerBlocked } from './blocked.js'
import type { Exchange, Stage } from './exchange.js'

/** Pre-auth hooks see the raw request: they may pass, change its headers and body, or block it. */
export const preAuth: Stage = (x, next) => (x.state.chains.preAuth.size === 0 ? next() : runPreAuth(x, next))

async function runPreAuth(x: Exchange, next: () => Promise<void>): Promise<void> {
  const outcome = await x.state.chains.preAuth.runPreAuth(x.requestId, x.request, x.signal)
  if (outcome.kind === 'block') return answerBlocked(x, outcome)
  x.request = outcome.request
  x.metadata = outcome.metadata
  await next()
}
