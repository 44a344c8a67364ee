import { credentialOf, toPbApp } from './api-keys.js'
import { GatewayError } from './errors.js'
import type { Stage } from './pipeline/exchange.js'

/**
 * Who is calling: auth plugins first (in priority order; the first that
 * authenticates or rejects decides), then the built-in app keys.
 */
export const authenticate: Stage = async (x, next) => {
  const { chains, keys } = x.state
  const credential = credentialOf(x.request.headers)
  const byPlugin = chains.auth.size > 0 ? await chains.auth.runAuth({ requestId: x.requestId, request: x.request, credential }, x.signal) : undefined
  if (byPlugin?.kind === 'authenticated' && byPlugin.app) {
    x.app = byPlugin.app
    x.user = byPlugin.user
  } else if (byPlugin?.kind === 'rejected') {
    throw new GatewayError('INVALID_API_KEY', `${byPlugin.message} (${byPlugin.code}, by plugin "${byPlugin.plugin}")`, byPlugin.status || 401)
  } else {
    x.app = toPbApp(keys.authenticate(credential))
  }
  await next()
}
