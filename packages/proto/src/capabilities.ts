import { Capability } from './gen/plugboard/plugin/v1/plugin.js'

/** Capability names as they appear in manifests and host configuration. */
export const CAPABILITY_NAMES = {
  pre_auth: Capability.CAPABILITY_PRE_AUTH,
  auth: Capability.CAPABILITY_AUTH,
  post_auth: Capability.CAPABILITY_POST_AUTH,
  response: Capability.CAPABILITY_RESPONSE,
  stream_complete: Capability.CAPABILITY_STREAM_COMPLETE,
  data_collection: Capability.CAPABILITY_DATA_COLLECTION,
  custom_endpoints: Capability.CAPABILITY_CUSTOM_ENDPOINTS,
  object_hooks: Capability.CAPABILITY_OBJECT_HOOKS,
  agent: Capability.CAPABILITY_AGENT,
  ui_provider: Capability.CAPABILITY_UI_PROVIDER,
  portal_ui: Capability.CAPABILITY_PORTAL_UI,
  config_provider: Capability.CAPABILITY_CONFIG_PROVIDER,
  manifest_provider: Capability.CAPABILITY_MANIFEST_PROVIDER,
  scheduler: Capability.CAPABILITY_SCHEDULER,
  edge_payload_receiver: Capability.CAPABILITY_EDGE_PAYLOAD_RECEIVER,
  session_aware: Capability.CAPABILITY_SESSION_AWARE,
  response_headers: Capability.CAPABILITY_RESPONSE_HEADERS,
  response_body: Capability.CAPABILITY_RESPONSE_BODY,
  response_chunks: Capability.CAPABILITY_RESPONSE_CHUNKS,
} as const satisfies Record<string, Capability>

export type CapabilityName = keyof typeof CAPABILITY_NAMES

const namesByValue = new Map<Capability, CapabilityName>(
  Object.entries(CAPABILITY_NAMES).map(([name, value]) => [value, name as CapabilityName]),
)

export function capabilityName(value: Capability): CapabilityName | undefined {
  return namesByValue.get(value)
}
