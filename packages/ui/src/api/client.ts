import type { StudioErrorBody } from '@plugboard/studio/api-types'
import { ApiError } from './api-error'

const CSRF_COOKIE = 'pb_csrf'
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken: string | undefined
let onSignedOut: (() => void) | undefined

/** Keeps the CSRF token the login answered with; writes send it as X-CSRF-Token. */
export function rememberCsrfToken(token: string | undefined): void {
  csrfToken = token
}

/** Called when any call but the login answers 401: the session is gone, the user must sign in again. */
export function onSessionLost(handler: (() => void) | undefined): void {
  onSignedOut = handler
}

/** A call made without `apiRequest` (the chat's stream) answered 401: the same as any other call's. */
export function sessionLost(): void {
  onSignedOut?.()
}

/** After a reload the token is no longer in memory; Studio also sets it as a readable cookie. */
export function currentCsrfToken(): string | undefined {
  if (csrfToken) return csrfToken
  const cookie = document.cookie.split('; ').find((part) => part.startsWith(`${CSRF_COOKIE}=`))
  return cookie ? decodeURIComponent(cookie.slice(CSRF_COOKIE.length + 1)) : undefined
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Sent as JSON; a file (a `Blob`) is sent as it is, with `contentType`. */
  body?: unknown
  contentType?: string
  /** The version the caller read, sent as If-Match: a write to a newer version answers 412 VERSION_MISMATCH instead of overwriting it. */
  ifMatch?: number | undefined
  /** Sign-in and sign-out: their 401 is a wrong password or an already ended session, not a lost one. */
  authCall?: boolean
}

/**
 * Calls the admin API under /api/v1 with the session cookie; rejects with an
 * {@link ApiError} carrying the API's code and message.
 *
 * @example
 * const llms = await apiRequest<Page<LlmItem>>('/llms')
 */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  const file = options.body instanceof Blob ? options.body : undefined
  if (options.body !== undefined) headers['content-type'] = file ? (options.contentType ?? file.type) : 'application/json'
  const csrf = UNSAFE.has(method) ? currentCsrfToken() : undefined
  if (csrf) headers['x-csrf-token'] = csrf
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`
  let response: Response
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(options.body !== undefined && { body: file ?? JSON.stringify(options.body) }) })
  } catch (cause) {
    throw new ApiError('NETWORK_ERROR', `Studio could not be reached (${(cause as Error).message}); check that it is running and try again`, 0)
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    throw new ApiError('BAD_RESPONSE', `Studio answered ${response.status} with something that is not JSON`, response.status)
  }
  if (response.ok) return body as T
  const error = (body as Partial<StudioErrorBody> | undefined)?.error
  const failure = new ApiError(error?.code ?? 'BAD_RESPONSE', error?.message ?? `Studio answered ${response.status}`, response.status, error?.details ?? [])
  if (response.status === 401 && !options.authCall) onSignedOut?.()
  throw failure
}
