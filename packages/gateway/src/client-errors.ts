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

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' }

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
  const code = PARSER_ERRORS[error.code ?? ''] ?? 'BAD_REQUEST'
  const { status } = GATEWAY_ERRORS[code]
  const { body } = errorResponse(new GatewayError(code, `the request was refused before it was read: ${error.message}`), '')
  const payload = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
  )
}

/** The server's `checkExpectation` handler: an `Expect` other than `100-continue` is refused with EXPECTATION_FAILED. */
export function answerExpectationFailed(req: IncomingMessage, res: ServerResponse): void {
  const { status, body } = errorResponse(new GatewayError('EXPECTATION_FAILED', `cannot meet "Expect: ${req.headers.expect}"; only 100-continue is supported`), '')
  res.shouldKeepAlive = false
  sendJson(res, status, body)
}
