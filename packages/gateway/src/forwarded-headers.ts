import { flatHeaders } from './http-io.js'

/**
 * Request headers that never leave the gateway: the app's credentials (the
 * vendor's key replaces them; `openai-organization` and `openai-project` pick
 * whose account pays), hop-by-hop headers, and `accept-encoding`, so that the
 * gateway can read usage from the answers it relays.
 */
const DROPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'proxy-authorization',
  'openai-organization',
  'openai-project',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  'accept-encoding',
])

/** Upstream response headers that are the gateway's own business toward its client. */
const DROPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'trailer', 'upgrade'])

/** The request headers (as hooks left them) that go upstream: every vendor call and pass-through uses this one list. */
export function forwardedRequestHeaders(headers: Record<string, string>): Record<string, string> {
  return flatHeaders(headers, DROPPED_REQUEST_HEADERS)
}

/** The upstream response headers relayed to the client. */
export function relayedResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return flatHeaders(headers, DROPPED_RESPONSE_HEADERS)
}
