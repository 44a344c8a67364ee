export { PlugboardError, isPlugboardError } from '@plugboard/proto'

/**
 * Codes the SDK raises or sends to the host:
 * - HOOK_FAILED: plugin code threw; the message is the thrown error's.
 * - HOOK_INVALID_RESULT: a hook returned something that is not a result (use pass/modify/block).
 * - HOOK_NOT_IMPLEMENTED: the host called a capability the plugin does not implement.
 * - HOOK_MESSAGE_TOO_LARGE: a hook result is larger than the hook channel's limit; that call fails, the channel keeps working.
 * - HOOK_CANCELLED: the host cancelled the call; the hook's signal aborts with this reason.
 * - HOOK_DEADLINE_EXCEEDED: the host's deadline for the call passed; the hook's signal aborts with this reason.
 * - HOOK_UNKNOWN: the hook channel carried a message that is not a hook request (a host newer than this SDK).
 * - HOOK_STREAM_UNKNOWN: a response chunk came without its request context and named a stream this hook channel has no context for.
 * - PLUGIN_INVALID_JSON: config or a payload that should be JSON does not parse.
 * - SERVICE_UNAVAILABLE: the host offers no Service API (or not this method).
 * - SERVICE_CALL_FAILED: a Service API call failed without a code of its own.
 * - SERVICE_INVALID_RESPONSE: the host answered with data that does not parse.
 * - SCOPE_DENIED: the host refused a Service API call outside the plugin's granted scopes.
 */
export const SDK_ERROR_CODES = [
  'HOOK_FAILED',
  'HOOK_INVALID_RESULT',
  'HOOK_NOT_IMPLEMENTED',
  'HOOK_MESSAGE_TOO_LARGE',
  'HOOK_CANCELLED',
  'HOOK_DEADLINE_EXCEEDED',
  'HOOK_UNKNOWN',
  'HOOK_STREAM_UNKNOWN',
  'PLUGIN_INVALID_JSON',
  'SERVICE_UNAVAILABLE',
  'SERVICE_CALL_FAILED',
  'SERVICE_INVALID_RESPONSE',
  'SCOPE_DENIED',
] as const

export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number]
