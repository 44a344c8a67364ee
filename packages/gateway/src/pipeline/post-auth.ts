import { answerBlocked } from './blocked.js'
import type { Exchange, Stage } from './exchange.js'

/**
 * Post-auth hooks see the request with its context (app, user, LLM, model,
 * budget): they may pass, change its headers and body, or block it. What they
 * leave is what goes upstream; the route's request stage runs again after
 * this one to read a changed body.
 */
export const postAuth: Stage = (x, next) => (x.chains.postAuth.size === 0 ? next() : runPostAuth(x, next))

async function runPostAuth(x: Exchange, next: () => Promise<void>): Promise<void> {
  const outcome = await x.chains.postAuth.runPostAuth(x.request, x.context!, x.signal)
  if (outcome.kind === 'block') return answerBlocked(x, outcome)
  x.request = outcome.request
  x.metadata = x.context!.metadata = outcome.metadata
  await next()
}
