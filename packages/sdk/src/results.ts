import type { BodyInit, Headers, RequestHookResult } from './types.js'

/** Let the request through unchanged. */
export function pass(): { action: 'pass' } {
  return { action: 'pass' }
}

/** Change headers, body or chain metadata; later plugins see the change. */
export function modify(change: Omit<Extract<RequestHookResult, { action: 'modify' }>, 'action'>): RequestHookResult {
  return { action: 'modify', ...change }
}

/**
 * End the request with this response; no later plugin runs. A body that is
 * not bytes or text is sent as JSON.
 *
 * @example
 * return block({ status: 403, body: { error: { message: 'IP not allowed', type: 'forbidden', code: 'IP_NOT_ALLOWED' } } })
 */
export function block(response: { status: number; headers?: Headers; body?: BodyInit }): RequestHookResult {
  return { action: 'block', ...response }
}
