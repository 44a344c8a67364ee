import type { CapabilityName, Scope } from '@plugboard/proto'
import type { EndpointSpec, JsonValue, Runtime } from './types.js'

export interface ScheduleSpec {
  id: string
  name: string
  cron: string
  timezone?: string
  /** The run's deadline: `ctx.signal` aborts at it (default 60). */
  timeoutSeconds?: number
  config?: JsonValue
  /** Extra attempts after a failure or timeout (0–10, default 0). */
  retries?: number
  /** Wait before the first retry, doubling for each next one (default 1000). */
  retryBackoffMs?: number
}

/** What a plugin says about itself; also readable from its artifact without running it. */
export interface Manifest {
  /** Slug: lower-case letters, digits and dashes. */
  id: string
  name: string
  version: string
  description?: string
  runtimes?: Runtime[]
  /** Filled in by the SDK from the methods the plugin implements when omitted. */
  capabilities?: CapabilityName[]
  /**
   * `services`: the Service API scopes it asks for. `events`: the topic
   * patterns it asks to publish to and subscribe within (`usage.>`,
   * `usage.*.count`); an admin grants patterns these cover.
   */
  permissions?: { services?: Scope[]; events?: { publish?: string[]; subscribe?: string[] } }
  ui?: {
    routes?: Array<{ path: string; title: string; element: string }>
    sidebar?: Array<{ title: string; path: string; icon?: string }>
    assets?: string[]
    /** Admin RPC methods its pages may call (`POST /api/v1/plugins/{id}/rpc/{method}`); others are refused by the host. */
    rpc?: string[]
  }
  portal?: { pages?: Array<{ path: string; title: string; element: string }> }
  schedules?: ScheduleSpec[]
  endpoints?: EndpointSpec[]
  configSchema?: JsonValue
  /** Object hook subscriptions ("llm:before_create"); filled in from `objectHooks()` when omitted. */
  objectHooks?: string[]
}
