import { credentialOf, toPbApp } from './api-keys.js'
import { GatewayError } from './errors.js'
import type { Exchange, Stage } from './pipeline/exchange.js'

/**
 * Who is calling: auth plugins first (in priority order; the first that
 * authenticates or rejects decides), then the built-in app keys.
 */
export const authenticate: Stage = (x, next) => {
  if (x.state.chains.auth.size > 0) return byPlugins(x, next)
  x.app = toPbApp(x.state.keys.authenticate(credentialOf(x.request.headers), x.services.now()), x.state.budgets)
  return next()
}

async function byPlugins(x: Exchange, next: () => Promise<void>): Promise<void> {
  const credential = credentialOf(x.request.headers)
  const outcome = await x.state.chains.auth.runAuth({ requestId: x.requestId, request: x.request, credential }, x.signal)
  if (outcome.kind === 'rejected') {
    throw new GatewayError('INVALID_API_KEY', `${outcome.message} (${outcome.code}, by plugin "${outcome.plugin}")`, outcome.status || 401)
  }
  if (outcome.kind === 'authenticated' && outcome.app) {
    x.app = outcome.app
    x.user = outcome.user
  } else {
    x.app = toPbApp(x.state.keys.authenticate(credential, x.services.now()), x.state.budgets)
  }
  await next()
}
