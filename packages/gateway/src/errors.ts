import { PlugboardError, isPlugboardError } from '@plugboard/proto'

/**
 * Every code the gateway answers with: HTTP status, OpenAI error `type`, and
 * one line of meaning; `statusDoc` is the README's status when it is not
 * always `status` (the default). A shipped code never changes.
 */
export const GATEWAY_ERRORS = {
  INVALID_JSON: { status: 400, type: 'invalid_request_error', doc: 'The request body is not valid JSON.' },
  UNSUPPORTED_CONTENT_TYPE: { status: 415, type: 'invalid_request_error', doc: 'The request body is not application/json.' },
  UNSUPPORTED_CONTENT_ENCODING: { status: 415, type: 'invalid_request_error', doc: 'A pass-through request body has a `content-encoding` (gzip, …): the budget and plugins must read it.' },
  BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', doc: 'The request body exceeds the configured limit.' },
  INVALID_REQUEST: { status: 400, type: 'invalid_request_error', doc: 'The body does not fit the API: `param` names the first field that is missing, has the wrong type or is out of range.' },
  BAD_REQUEST: { status: 400, type: 'invalid_request_error', doc: 'The request is not valid HTTP, or its URL is malformed (such as a broken %-escape).' },
  METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', doc: 'The path exists but not for this method; the `allow` header lists the methods it takes.' },
  REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', doc: 'The client did not send the whole request in time.' },
  EXPECTATION_FAILED: { status: 417, type: 'invalid_request_error', doc: 'The request has an `Expect` header other than `100-continue`.' },
  HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error', doc: "The request's headers exceed the server's limit." },
  MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', doc: 'No configured LLM serves the requested model.' },
  LLM_NOT_FOUND: { status: 404, type: 'invalid_request_error', doc: 'No LLM is configured under that slug.' },
  ROUTE_NOT_FOUND: { status: 404, type: 'invalid_request_error', doc: 'No route matches the method and path.' },
  MISSING_API_KEY: { status: 401, type: 'authentication_error', doc: 'The request carries no API key (Authorization: Bearer … or x-api-key).' },
  INVALID_API_KEY: { status: 401, type: 'authentication_error', doc: 'The API key is not known.' },
  API_KEY_REVOKED: { status: 401, type: 'authentication_error', doc: 'The API key was revoked.' },
  API_KEY_EXPIRED: { status: 401, type: 'authentication_error', doc: 'The API key is past its expiry (`expiresAt`).' },
  LLM_NOT_ALLOWED: { status: 403, type: 'permission_error', doc: 'The app may not use the LLM the route is pinned to, or any LLM serving this model.' },
  BUDGET_EXCEEDED: {
    status: 429,
    type: 'insufficient_quota',
    doc: 'A budget of the app or of the LLM is spent for its period, or the most this request may cost would pass it; the message and the `x-plugboard-budget` / `x-plugboard-budget-resets-at` headers name the budget and when it resets (a spent one also answers `Retry-After`: the seconds to its reset).',
  },
  UPSTREAM_ERROR: {
    status: 502,
    statusDoc: "the LLM's 4xx, 503 or 529; else 502",
    type: 'upstream_error',
    doc: "The LLM answered with an error status, or ended its stream with an error event. The app's own errors (400, 404, 422, …), 429, 503 and 529 are passed on; a refused vendor key (401, 403) and other 5xx become 502.",
  },
  UPSTREAM_TIMEOUT: { status: 504, type: 'upstream_error', doc: 'The LLM did not answer before the upstream timeout.' },
  UPSTREAM_UNREACHABLE: { status: 502, type: 'upstream_error', doc: 'The LLM could not be reached (connection refused, DNS, TLS).' },
  UPSTREAM_STREAM_TRUNCATED: { status: 502, type: 'upstream_error', doc: 'The LLM stream ended before it was complete.' },
  UPSTREAM_INVALID_RESPONSE: { status: 502, type: 'upstream_error', doc: 'The LLM answered something that is not JSON (a body, or an event of its stream).' },
  UPSTREAM_RESPONSE_TOO_LARGE: {
    status: 502,
    type: 'upstream_error',
    doc: "The LLM's JSON answer, or one event of its stream, exceeds the configured limit.",
  },
  PLUGIN_FAILED: { status: 502, type: 'plugin_error', doc: 'A fail-closed plugin failed; the message names it.' },
  INTERNAL_ERROR: { status: 500, type: 'server_error', doc: 'An unexpected gateway error; the request id is in the logs.' },
  CONFIG_INVALID: { status: 500, type: 'server_error', doc: 'The gateway configuration is invalid (at startup or reload).' },
} as const satisfies Record<string, { status: number; statusDoc?: string; type: string; doc: string }>

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS

/** What a GatewayError may carry besides its code and message. */
export interface GatewayErrorOptions {
  cause?: unknown
  /** The request field at fault, as a path like `messages[0].content[1].type` (OpenAI's `param`). */
  param?: string
  /** Headers the error response must carry, such as `allow` on METHOD_NOT_ALLOWED. */
  headers?: Record<string, string>
}

/** A gateway error, optionally with an HTTP status other than its code's default (upstream errors pass theirs on). */
export class GatewayError extends PlugboardError<GatewayErrorCode> {
  readonly param: string | null
  readonly headers: Record<string, string> | undefined

  constructor(
    code: GatewayErrorCode,
    message: string,
    readonly status: number = GATEWAY_ERRORS[code].status,
    options?: GatewayErrorOptions,
  ) {
    super(code, message, options)
    this.param = options?.param ?? null
    this.headers = options?.headers
  }
}

/** The OpenAI error shape every error response has. */
export interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null }
}

/** Status and OpenAI-shaped body for any error; unknown errors become INTERNAL_ERROR without leaking details. */
export function errorResponse(error: unknown, requestId: string): { status: number; body: ErrorBody } {
  if (error instanceof GatewayError) {
    return { status: error.status, body: { error: { message: error.message, type: GATEWAY_ERRORS[error.code].type, code: error.code, param: error.param } } }
  }
  if (isPlugboardError(error) && (error as { plugin?: string }).plugin) {
    return {
      status: 502,
      body: { error: { message: error.message, type: 'plugin_error', code: 'PLUGIN_FAILED', param: null } },
    }
  }
  return {
    status: 500,
    body: { error: { message: `internal gateway error (request ${requestId})`, type: 'server_error', code: 'INTERNAL_ERROR', param: null } },
  }
}
