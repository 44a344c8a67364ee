import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  ErrorCode,
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type JSONRPCResultResponse,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js'
import type { EndpointResponse, HttpRequest } from '@plugboard/sdk'
import { SingleRequestTransport } from './single-request-transport.js'

/** Most messages one POST may batch, as the MCP SDK's own server allows. */
const MAX_BATCH_SIZE = 100

/** The JSON-RPC code the MCP SDK's server uses for HTTP-level refusals (method, Accept, Content-Type, protocol version). */
const HTTP_REFUSED = -32000

export interface StreamableHttpOptions {
  /** A fresh MCP server for this request (stateless mode: nothing is kept between requests). */
  createServer: () => McpServer
  /** Aborts the exchange when the host cancels the call or its deadline passes. */
  signal?: AbortSignal
}

/** A transport-level failure, answered as the MCP SDK's server answers it: a JSON-RPC error with a null id. */
function refuse(status: number, code: number, message: string, headers: Record<string, string> = {}): EndpointResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: { jsonrpc: '2.0', error: { code, message }, id: null } }
}

/** Quality of `type` in an Accept header; a missing header accepts anything. */
function quality(accept: string | undefined, type: string): number {
  if (!accept?.trim()) return 1
  let best: { specificity: number; q: number } = { specificity: -1, q: 0 }
  for (const entry of accept.split(',')) {
    const [range = '', ...params] = entry.split(';').map((s) => s.trim().toLowerCase())
    const specificity = range === type ? 2 : range === `${type.split('/')[0]}/*` ? 1 : range === '*/*' ? 0 : -1
    if (specificity <= best.specificity) continue
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1)
    best = { specificity, q: Number.isFinite(q) ? q : 0 }
  }
  return best.q
}

/** JSON unless the client ranks text/event-stream strictly higher (the official client sends both at equal weight). */
function responseFormat(accept: string | undefined): 'json' | 'sse' | undefined {
  const json = quality(accept, 'application/json')
  const sse = quality(accept, 'text/event-stream')
  if (sse > json) return 'sse'
  return json > 0 ? 'json' : undefined
}

function parseMessages(body: Buffer): { messages: JSONRPCMessage[]; batch: boolean } | EndpointResponse {
  let raw: unknown
  try {
    raw = JSON.parse(body.toString('utf8'))
  } catch {
    return refuse(400, ErrorCode.ParseError, 'Parse error: the body is not valid JSON')
  }
  const batch = Array.isArray(raw) ? raw : [raw]
  if (batch.length === 0 || batch.length > MAX_BATCH_SIZE) {
    return refuse(400, ErrorCode.InvalidRequest, `Invalid Request: a batch holds 1 to ${MAX_BATCH_SIZE} messages`)
  }
  const messages: JSONRPCMessage[] = []
  for (const item of batch) {
    const parsed = JSONRPCMessageSchema.safeParse(item)
    if (!parsed.success) return refuse(400, ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response')
    messages.push(parsed.data)
  }
  return { messages, batch: Array.isArray(raw) }
}

const isResponse = (message: JSONRPCMessage): message is JSONRPCResultResponse | JSONRPCErrorResponse =>
  isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)

const sseEvent = (message: JSONRPCMessage) => `event: message\ndata: ${JSON.stringify(message)}\n\n`

/**
 * Serves one HTTP request of MCP's streamable HTTP transport in stateless
 * mode (no `mcp-session-id`): a POST of a JSON-RPC message or batch is
 * handed to a fresh server, and the responses come back as `application/json`
 * (one object, or an array for a batch) or, when the client ranks
 * `text/event-stream` higher, as an SSE stream of `event: message` events that
 * also carries the server's notifications. A POST of notifications or
 * responses only gets 202 and no body. GET (a server-initiated stream) and
 * DELETE (ending a session) get 405: there are no sessions.
 *
 * Refusals mirror the MCP SDK's server: 405, 406 (Accept), 415 (Content-Type),
 * 400 with -32700 (not JSON), -32600 (not JSON-RPC) or -32000 (unsupported
 * `mcp-protocol-version`).
 *
 * @example
 * handleEndpoint({ request }, ctx) {
 *   return serveStreamableHttp(request, { createServer: () => createToolServer({ now: () => new Date() }), signal: ctx.signal })
 * }
 */
export async function serveStreamableHttp(request: HttpRequest, options: StreamableHttpOptions): Promise<EndpointResponse> {
  if (request.method !== 'POST') {
    return refuse(405, HTTP_REFUSED, 'Method not allowed: this stateless MCP server takes POST only', { allow: 'POST' })
  }
  const format = responseFormat(request.headers['accept'])
  if (!format) return refuse(406, HTTP_REFUSED, 'Not Acceptable: the client must accept application/json or text/event-stream')
  const contentType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (contentType !== 'application/json') return refuse(415, HTTP_REFUSED, 'Unsupported Media Type: Content-Type must be application/json')

  const parsed = parseMessages(request.body)
  if (!('messages' in parsed)) return parsed
  const { messages, batch } = parsed
  const version = request.headers['mcp-protocol-version']
  if (version !== undefined && !messages.some(isInitializeRequest) && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return refuse(400, HTTP_REFUSED, `Bad Request: unsupported protocol version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`)
  }

  const server = options.createServer()
  const transport = new SingleRequestTransport(messages)
  await server.connect(transport)
  const hasRequests = messages.some(isJSONRPCRequest)

  if (format === 'sse' && hasRequests) {
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
      stream: (async function* () {
        try {
          for await (const message of transport.exchange(options.signal)) yield sseEvent(message)
        } finally {
          await server.close()
        }
      })(),
    }
  }

  // JSON has no room for the server's notifications: only the responses are kept.
  const responses = new Map<RequestId, JSONRPCMessage>()
  try {
    for await (const message of transport.exchange(options.signal)) if (isResponse(message) && message.id !== undefined) responses.set(message.id, message)
  } finally {
    await server.close()
  }
  if (!hasRequests) return { status: 202 }
  // In request order, which JSON-RPC does not require but people reading a batch expect.
  const answered = messages.flatMap((m) => (isJSONRPCRequest(m) && responses.has(m.id) ? [responses.get(m.id)!] : []))
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch ? answered : answered[0]) }
}
