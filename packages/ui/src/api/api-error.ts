import type { ErrorDetail } from '@plugboard/studio/api-types'

/** Why a call of the admin API failed: the API's `{error:{code,message,details}}`, or the network. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    /** The API's stable code; `NETWORK_ERROR` when Studio could not be reached, `BAD_RESPONSE` when it answered something else. */
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message)
  }
}

/** Whether the error means the caller is not (or no longer) signed in. */
export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401
}
