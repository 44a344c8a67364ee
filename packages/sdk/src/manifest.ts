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

/** A WebComponent of the plugin: its tag and the asset path of the ES module that defines it. */
export interface UiComponent {
  element: string
  module: string
}

/**
 * A page of the portal. Its `path` is the plugin's own (`/`, `/feedback`),
 * shown at `/portal/x/{name}{path}` with a sidebar entry titled `title`.
 */
export interface PortalPage extends UiComponent {
  path: string
  title: string
  /**
   * The names of the Studio groups whose members see the page (exactly as
   * the group is named; any one of them is enough). Omitted: every signed-in
   * user sees it. Admins too are checked: an admin sees it only as a member.
   */
  groups?: string[]
  /**
   * The portal RPC methods this page calls (`handlePortalRpc`). The host
   * refuses a method that no page the user may see declares.
   */
  rpc?: string[]
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
  /**
   * What the dashboard shows of the plugin, each WebComponent `element` (a
   * custom element name starting with the manifest `id` and a dash) defined by
   * the ES module `module`, an asset path the plugin serves (`serveAsset`) at
   * `/plugins/{name}/ui/{module}`. Route and sidebar paths are the plugin's
   * own (`/`, `/limits`): the dashboard mounts them under `/x/{name}`.
   */
  ui?: {
    routes?: Array<{ path: string; title: string } & UiComponent>
    sidebar?: Array<{ title: string; path: string; icon?: string }>
    /** Tabs on an app's page; the element gets the app's slug in `context.target`. */
    appTabs?: Array<{ title: string } & UiComponent>
    /** Tabs on an LLM's page; the element gets the LLM's slug in `context.target`. */
    llmTabs?: Array<{ title: string } & UiComponent>
    /** Sections of the dashboard's settings page. */
    settings?: Array<{ title: string } & UiComponent>
    assets?: string[]
    /** Admin RPC methods its pages may call (`POST /api/v1/plugins/{id}/rpc/{method}`); others are refused by the host. */
    rpc?: string[]
  }
  /**
   * What the portal shows of the plugin to end users: pages mounted under
   * `/portal/x/{name}`, each a WebComponent as in `ui`, their assets served by
   * `serveAsset` at the same `/plugins/{name}/ui/…`.
   */
  portal?: { pages?: PortalPage[] }
  schedules?: ScheduleSpec[]
  endpoints?: EndpointSpec[]
  configSchema?: JsonValue
  /** Object hook subscriptions ("llm:before_create"); filled in from `objectHooks()` when omitted. */
  objectHooks?: string[]
}
