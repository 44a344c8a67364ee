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
  permissions?: { services?: Scope[] }
  ui?: {
    routes?: Array<{ path: string; title: string; element: string }>
    sidebar?: Array<{ title: string; path: string; icon?: string }>
    assets?: string[]
  }
  portal?: { pages?: Array<{ path: string; title: string; element: string }> }
  schedules?: ScheduleSpec[]
  endpoints?: EndpointSpec[]
  configSchema?: JsonValue
}
