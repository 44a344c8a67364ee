import type { ManagedPlugin } from '@plugboard/host'
import { GatewayError } from './errors.js'
import { startStream, writeChunk } from './http-io.js'
import type { EndpointTarget, Stage } from './pipeline/exchange.js'

/**
 * `/plugins/{slug}/ui/…`: a plugin's UI assets, which Studio serves (the
 * dashboard loads its WebComponents from there), never a custom endpoint.
 */
export const PLUGIN_UI_PATH = /^\/plugins\/[^/]+\/ui(?:\/|$)/

/** Whether a custom endpoint's path would sit under `/ui`, the plugin's UI assets. */
export const isUnderUiPath = (endpointPath: string): boolean => /^\/*ui(?:\/|$)/.test(endpointPath)

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch (cause) {
    throw new GatewayError('BAD_REQUEST', `the path segment "${segment.slice(0, 100)}" has a malformed %-escape`, undefined, { cause })
  }
}

/**
 * Matches a request path against an endpoint path with ":param" segments and
 * an optional trailing "*"; parameters are URL-decoded (BAD_REQUEST when one
 * has a malformed %-escape).
 */
export function matchEndpointPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean)
  const got = path.split('/').filter(Boolean)
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!
    if (segment === '*' && i === want.length - 1) {
      params['*'] = got.slice(i).map(decodeSegment).join('/')
      return params
    }
    if (i >= got.length) return undefined
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeSegment(got[i]!)
    else if (segment !== got[i]) return undefined
  }
  return want.length === got.length ? params : undefined
}

/**
 * The custom endpoint of `plugin` that serves `method path`: ROUTE_NOT_FOUND
 * when none has the path, METHOD_NOT_ALLOWED (with `allow`) when some have it
 * for other methods only.
 */
export function findEndpoint(plugin: ManagedPlugin | undefined, slug: string, method: string, path: string): EndpointTarget {
  // Answered before any auth: it names no plugin but the one asked for (a plugin without endpoints reads as not loaded).
  if (!plugin) throw new GatewayError('ROUTE_NOT_FOUND', `no plugin "${slug}" with endpoints is loaded; /plugins/NAME/... reaches the plugin NAME in the gateway config`)
  const allowed = new Set<string>()
  for (const spec of plugin.description?.endpoints ?? []) {
    const params = matchEndpointPath(spec.path, path)
    if (!params) continue
    if (spec.method === '*' || spec.method.toUpperCase() === method) return { plugin, spec, params }
    allowed.add(spec.method.toUpperCase())
  }
  if (allowed.size === 0) throw new GatewayError('ROUTE_NOT_FOUND', `plugin "${slug}" serves no ${method} ${path}`)
  const allow = [...allowed].join(', ')
  throw new GatewayError('METHOD_NOT_ALLOWED', `plugin "${slug}" serves ${path} only for ${allow}`, undefined, { headers: { allow } })
}

/**
 * The terminal stage of `/plugins/{slug}/…`: hands the request (as the hooks
 * left it, with the caller when the endpoint requires auth) to the plugin and
 * relays its answer, each streamed chunk as it comes (SSE, MCP streamable
 * HTTP), at the pace the client reads.
 */
export const serveEndpoint: Stage = async (x) => {
  const { plugin, spec, params } = x.endpoint!
  const auth = x.app ? { app: x.app, user: x.user } : undefined
  const frames = plugin.stream('handleEndpoint', { requestId: x.requestId, endpoint: spec, request: x.request, params, auth }, { signal: x.signal })
  const describe = `${x.request.method} ${x.url.pathname}`
  try {
    for await (const { frame } of frames) {
      if (frame?.$case === 'start' && x.status === 0) {
        x.status = frame.value.status || 200
        startStream(x.res, x.status, { ...frame.value.headers, 'x-request-id': x.requestId })
      } else if (frame?.$case === 'chunk' && x.status !== 0) {
        await writeChunk(x.res, frame.value, x.signal)
        if (x.signal.aborted) throw x.signal.reason
      }
    }
  } catch (error) {
    // The client left (an MCP client closing its stream): cancelling the call is no failure, and nobody is left to answer.
    if (x.signal.aborted) return
    if (error instanceof GatewayError) throw error
    throw new GatewayError('PLUGIN_FAILED', `plugin "${plugin.name}" failed serving ${describe}: ${(error as Error).message}`, undefined, { cause: error })
  }
  if (x.status === 0) throw new GatewayError('PLUGIN_FAILED', `plugin "${plugin.name}" answered ${describe} without a response`)
  x.res.end()
}
