import { PlugboardError } from '@plugboard/proto'

/**
 * Every code the host raises, with one line of meaning and the HTTP status a
 * runtime answers with when the code ends a request. A shipped code never changes.
 */
export const HOST_ERRORS = {
  PLUGIN_SOURCE_INVALID: { status: 500, doc: 'The plugin source is not a file://, grpc:// or oci:// URL the host can use.' },
  PLUGIN_SOURCE_UNSUPPORTED: { status: 500, doc: 'The plugin source scheme is known but not available in this host.' },
  PLUGIN_NOT_FOUND: { status: 503, doc: 'The file:// plugin path, its package entry or its #! interpreter does not exist.' },
  PLUGIN_NOT_EXECUTABLE: { status: 503, doc: 'The file:// plugin is not executable (by the uid it runs under).' },
  PLUGIN_ISOLATION_INVALID: { status: 500, doc: 'The plugin isolation settings are unusable: uid or gid 0, another uid on a host not running as root, a symbolic link in the directory of a Node plugin to where it may not read, or NODE_OPTIONS that would change its permission model.' },
  PLUGIN_LAUNCH_FAILED: { status: 503, doc: 'The plugin executable could not be started.' },
  PLUGIN_HANDSHAKE_TIMEOUT: { status: 503, doc: 'The plugin printed no handshake line before the launch timeout.' },
  PLUGIN_HANDSHAKE_INVALID: { status: 503, doc: 'The plugin printed something other than a handshake line.' },
  PLUGIN_PROTOCOL_UNSUPPORTED: { status: 503, doc: 'The plugin speaks a protocol version this host does not.' },
  PLUGIN_EXITED: { status: 503, doc: 'The plugin process exited (during the handshake or while serving).' },
  PLUGIN_CONNECT_FAILED: { status: 503, doc: 'The host could not reach the plugin gRPC service.' },
  PLUGIN_INITIALIZE_FAILED: { status: 503, doc: 'The plugin rejected Initialize (usually its config).' },
  PLUGIN_MANIFEST_INVALID: { status: 502, doc: 'The plugin served a manifest or config schema that is not valid JSON or JSON Schema.' },
  PLUGIN_CONFIG_INVALID: { status: 400, doc: 'The config does not match the plugin\'s config schema; `details` lists each problem as "JSON pointer: message".' },
  PLUGIN_SCOPES_INVALID: { status: 400, doc: 'A granted scope is not a Service API scope, or the plugin\'s manifest does not request it.' },
  PLUGIN_TOPICS_INVALID: { status: 400, doc: 'A granted topic pattern is malformed, or not covered by a pattern the plugin\'s manifest declares in `permissions.events`.' },
  PLUGIN_NOT_LOADED: { status: 404, doc: 'No plugin of that name is loaded.' },
  PLUGIN_UNAVAILABLE: { status: 503, doc: 'The plugin is restarting, failed or stopped; the call was not made.' },
  PLUGIN_FAILED: { status: 503, doc: 'The plugin crashed too often and the supervisor gave up on it.' },
  HOOK_DEADLINE_EXCEEDED: { status: 504, doc: 'The plugin did not answer a hook call before its deadline.' },
  HOOK_CANCELLED: { status: 499, doc: 'The caller cancelled the hook call.' },
  HOOK_INVALID_RESPONSE: { status: 502, doc: 'The plugin answered a hook with a malformed or mismatched result.' },
  HOOK_FAILED: { status: 502, doc: 'The plugin answered a hook with an error.' },
  HOOK_MESSAGE_TOO_LARGE: { status: 413, doc: 'A hook request or result is larger than the hook channel\'s limit (64 MB); only that call failed.' },
  CIRCUIT_OPEN: { status: 503, doc: 'The plugin failed repeatedly; its circuit breaker skips calls until the cool-down ends.' },
  SCOPE_DENIED: { status: 403, doc: 'A plugin called a Service API method outside the scopes granted to it.' },
  TOPIC_DENIED: { status: 403, doc: 'A plugin published or subscribed outside the topic patterns granted to it, or published under the reserved `system.>`.' },
  HOST_SHUTTING_DOWN: { status: 503, doc: 'The host is shutting down and accepts no new plugin work.' },
} as const satisfies Record<string, { status: number; doc: string }>

export type HostErrorCode = keyof typeof HOST_ERRORS

export function hostError(code: HostErrorCode, message: string, cause?: unknown): PlugboardError<HostErrorCode> {
  return new PlugboardError(code, message, cause === undefined ? undefined : { cause })
}

/** HTTP status for an error code; unknown codes (e.g. a plugin's own) map to 502. */
export function httpStatusOf(code: string): number {
  return code in HOST_ERRORS ? HOST_ERRORS[code as HostErrorCode].status : 502
}
