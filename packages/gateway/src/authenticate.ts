import type { pluginv1 as pb } from '@plugboard/proto'
import { credentialOf, toPbApp, type ApiKeyAuthenticator } from './api-keys.js'
import { GatewayError } from './errors.js'
import type { GatewayChains } from './gateway-plugins.js'

/**
 * Who is calling: auth plugins first (in priority order; the first that
 * authenticates or rejects decides), then the built-in app keys.
 */
export async function authenticate(
  state: { chains: GatewayChains; keys: ApiKeyAuthenticator },
  requestId: string,
  request: pb.HttpRequest,
  signal: AbortSignal,
): Promise<{ app: pb.App; user?: pb.User }> {
  const credential = credentialOf(request.headers)
  const byPlugin = await state.chains.auth.runAuth({ requestId, request, credential }, signal)
  if (byPlugin.kind === 'authenticated' && byPlugin.app) return { app: byPlugin.app, user: byPlugin.user }
  if (byPlugin.kind === 'rejected') {
    throw new GatewayError('INVALID_API_KEY', `${byPlugin.message} (${byPlugin.code}, by plugin "${byPlugin.plugin}")`, byPlugin.status || 401)
  }
  return { app: toPbApp(state.keys.authenticate(credential)) }
}
