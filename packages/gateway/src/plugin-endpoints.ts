import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ManagedPlugin } from '@plugboard/host'
import type { pluginv1 as pb } from '@plugboard/proto'
import { authenticate } from './authenticate.js'
import { GatewayError } from './errors.js'
import { hookRequest, readBody, startStream } from './http-io.js'
import type { ProxyState } from './proxy.js'

/** Matches a request path against an endpoint path with ":param" segments and an optional trailing "*". */
export function matchEndpointPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean)
  const got = path.split('/').filter(Boolean)
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!
    if (segment === '*' && i === want.length - 1) {
      params['*'] = got.slice(i).map(decodeURIComponent).join('/')
      return params
    }
    if (i >= got.length) return undefined
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(got[i]!)
    else if (segment !== got[i]) return undefined
  }
  return want.length === got.length ? params : undefined
}

function findEndpoint(plugin: ManagedPlugin, method: string, path: string): { spec: pb.EndpointSpec; params: Record<string, string> } | undefined {
  for (const spec of plugin.description?.endpoints ?? []) {
    if (spec.method.toUpperCase() !== method && spec.method !== '*') continue
    const params = matchEndpointPath(spec.path, path)
    if (params) return { spec, params }
  }
  return undefined
}

/**
 * Serves `/plugins/{slug}/…` from the plugin's custom endpoints: checks the
 * app key when the endpoint requires it, then relays the plugin's answer,
 * flushing each streamed chunk as it comes (SSE, MCP streamable HTTP).
 */
export async function servePluginEndpoint(
  call: { req: IncomingMessage; res: ServerResponse; url: URL; requestId: string; signal: AbortSignal },
  state: ProxyState,
  slug: string,
  path: string,
): Promise<number> {
  const plugin = state.chains.endpoints.get(slug)
  const method = call.req.method ?? 'GET'
  const found = plugin && findEndpoint(plugin, method, path)
  // Answered before any auth: it names no plugin but the one asked for (a plugin without endpoints reads as not loaded).
  if (!plugin) throw new GatewayError('ROUTE_NOT_FOUND', `no plugin "${slug}" with endpoints is loaded; /plugins/NAME/... reaches the plugin NAME in the gateway config`)
  if (!found) throw new GatewayError('ROUTE_NOT_FOUND', `plugin "${slug}" serves no ${method} ${path}`)
  const request = hookRequest(call.req, call.url, await readBody(call.req, state.config.server.maxBodyBytes))
  const auth = found.spec.authRequired ? await authenticate(state, call.requestId, request, call.signal) : undefined
  const frames = plugin.stream('handleEndpoint', { requestId: call.requestId, endpoint: found.spec, request, params: found.params, auth }, { signal: call.signal })
  let status = 0
  try {
    for await (const { frame } of frames) {
      if (frame?.$case === 'start' && status === 0) {
        status = frame.value.status || 200
        startStream(call.res, status, { ...frame.value.headers, 'x-request-id': call.requestId })
      } else if (frame?.$case === 'chunk' && status !== 0) {
        call.res.write(frame.value)
      }
    }
  } catch (error) {
    // The client left (an MCP client closing its stream): cancelling the call is no failure, and nobody is left to answer.
    if (call.signal.aborted) return status
    if (error instanceof GatewayError) throw error
    throw new GatewayError('PLUGIN_FAILED', `plugin "${slug}" failed serving ${method} ${path}: ${(error as Error).message}`, undefined, { cause: error })
  }
  if (status === 0) throw new GatewayError('PLUGIN_FAILED', `plugin "${slug}" answered ${method} ${path} without a response`)
  call.res.end()
  return status
}
