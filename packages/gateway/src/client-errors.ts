import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { GATEWAY_ERRORS, GatewayError, errorResponse, type GatewayErrorCode } from './errors.js'
import { sendJson } from './http-io.js'

/** Node's HTTP parser errors by code, as Node's own default answer maps them; anything else is a 400. */
const PARSER_ERRORS: Record<string, GatewayErrorCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'BODY_TOO_LARGE',
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' }

/** Answers on a bare socket (Node's server gives no response object here) with the JSON error of `code`, and closes it. */
function endWithError(socket: Duplex, code: GatewayErrorCode, message: string, headers = ''): void {
  const { status } = GATEWAY_ERRORS[code]
  const payload = JSON.stringify(errorResponse(new GatewayError(code, message), '').body)
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n${headers}connection: close\r\n\r\n${payload}`,
  )
}

/**
 * The server's `clientError` handler: a request Node's parser refused (bad
 * syntax, headers too large, too slow) gets the gateway's JSON error body
 * with the matching status, and the connection closes. A connection already
 * broken is just destroyed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A response already under way on this connection cannot be followed by another: drop the connection, as Node does.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy()
  endWithError(socket, PARSER_ERRORS[error.code ?? ''] ?? 'BAD_REQUEST', `the request was refused before it was read: ${error.message}`)
}

/**
 * The server's `connect` handler: the gateway is no tunnelling proxy, so
 * CONNECT gets METHOD_NOT_ALLOWED (without a handler Node drops the connection unanswered).
 */
export function answerConnect(req: IncomingMessage, socket: Duplex): void {
  endWithError(socket, 'METHOD_NOT_ALLOWED', `the gateway is not a tunnelling proxy: CONNECT ${req.url} is not served`, 'allow: GET, HEAD, POST, PUT, PATCH, DELETE\r\n')
}

/** The server's `checkExpectation` handler: an `Expect` other than `100-continue` is refused with EXPECTATION_FAILED. */
export function answerExpectationFailed(req: IncomingMessage, res: ServerResponse): void {
  const { status, body } = errorResponse(new GatewayError('EXPECTATION_FAILED', `cannot meet "Expect: ${req.headers.expect}"; only 100-continue is supported`), '')
  res.shouldKeepAlive = false
  sendJson(res, status, body)
}
