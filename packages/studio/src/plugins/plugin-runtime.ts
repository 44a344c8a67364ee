import type { FailurePolicy, ManagedPlugin, PluginManifest } from '@plugboard/host'
import type { Scope } from '@plugboard/proto'

/** The object types plugins may hook (DESIGN.md section 3). */
export const HOOKED_OBJECT_TYPES = ['llm', 'app', 'tool', 'datasource', 'user', 'group'] as const
export type HookedObjectType = (typeof HOOKED_OBJECT_TYPES)[number]

export const OBJECT_HOOK_EVENTS = ['before_create', 'after_create', 'before_update', 'after_update', 'before_delete', 'after_delete'] as const
export type ObjectHookEventName = (typeof OBJECT_HOOK_EVENTS)[number]

/**
 * What an admin set for an installed plugin, stored in `plugins.spec`: the
 * gateway YAML's plugin entry (source, config, scopes, hooks, priority, …)
 * plus the grants and bindings of the plugin platform.
 */
export interface StudioPluginSpec {
  source: string
  config?: unknown
  /** Service API scopes granted (a subset of the manifest's `permissions.services`). */
  scopes?: Scope[]
  /** Topic patterns granted (a subset of the manifest's `permissions.events`). */
  topics?: { publish?: string[]; subscribe?: string[] }
  /** Object types whose hooks may run (a subset of those the plugin subscribes to). */
  objectHooks?: HookedObjectType[]
  hooks?: string[]
  priority?: number
  failurePolicy?: FailurePolicy
  deadlineMs?: number
  /** Bound only to these apps / LLMs (slugs); absent or empty: every request. An agent is given these LLMs with each message. */
  apps?: string[]
  llms?: string[]
  /** An agent's tools and datasources (slugs), given to it with each message. */
  tools?: string[]
  datasources?: string[]
  /** The groups (names) whose members may chat with an agent; absent or empty: every signed-in user. Admins always may. */
  chatGroups?: string[]
  [field: string]: unknown
}

/** One object hook a Studio half registered and was granted, ready to call. */
export interface ObjectHookBinding {
  plugin: string
  priority: number
  failurePolicy: FailurePolicy
  deadlineMs: number
  managed: ManagedPlugin
}

/** A running Studio half that runs scheduled tasks. */
export interface ScheduledPlugin {
  id: string
  name: string
  managed: ManagedPlugin
  schedules: ManifestSchedule[]
}

export interface ManifestSchedule {
  id: string
  name: string
  cron: string
  timezone?: string
  timeoutSeconds?: number
  config?: unknown
  /** Extra attempts after a failure or timeout, each after `retryBackoffMs` doubling. */
  retries?: number
  retryBackoffMs?: number
}

/**
 * What the Studio-side capabilities (object hooks, scheduler, edge payloads,
 * agents, UI) read from the plugin platform: the installed plugins and their
 * running Studio halves. Implemented by StudioPlugins.
 */
export interface PluginDirectory {
  /** Bindings for one object type and event, in priority order, granted and enabled only. */
  objectHookBindings(type: HookedObjectType, event: ObjectHookEventName): ObjectHookBinding[]
  /** Studio halves that declare the scheduler capability. */
  scheduledPlugins(): ScheduledPlugin[]
  /** The running Studio half of an installed plugin, by name. */
  studioHalf(name: string): ManagedPlugin | undefined
  manifestOf(name: string): PluginManifest | undefined
}

/** The objects the Service API writes for plugins. */
export type ServiceWritableType = 'llm' | 'app'

/**
 * The admin API's write path for one object type, callable without HTTP: the
 * same schema validation, object hooks, audit entry and change feed as the
 * routes, with `actor` as who wrote (a plugin through the Service API).
 * Implemented by the resource layer (api/resource.ts).
 */
export interface ObjectWriter {
  create(type: ServiceWritableType, body: unknown, actor: import('../api/writes.js').Actor): Promise<unknown>
  update(type: ServiceWritableType, idOrSlug: string, patch: unknown, actor: import('../api/writes.js').Actor): Promise<unknown>
  delete(type: ServiceWritableType, idOrSlug: string, actor: import('../api/writes.js').Actor): Promise<void>
}

/** A schedule as the API and the Service API show it. */
export interface ScheduleView {
  id: string
  plugin: string
  scheduleId: string
  name: string
  cron: string
  timezone: string
  timeoutSeconds: number
  enabled: boolean
  retries: number
  nextRunAt: string | null
  lastRun: ScheduleRunView | null
}

export interface ScheduleRunView {
  id: string
  scheduleId: string
  scheduledAt: string
  attempt: number
  trigger: 'cron' | 'manual' | 'retry'
  status: 'pending' | 'running' | 'completed' | 'failed' | 'timed_out' | 'skipped'
  node: string | null
  startedAt: string | null
  finishedAt: string | null
  durationMs: number | null
  error: string | null
  output: unknown
}

/** What the Service API (and the admin API) do with schedules; implemented by the scheduler. `plugin` scopes each call to one plugin's schedules (undefined: all, admin only). */
export interface ScheduleOperations {
  list(plugin: string | undefined): Promise<ScheduleView[]>
  setEnabled(plugin: string | undefined, id: string, enabled: boolean): Promise<ScheduleView>
  runNow(plugin: string | undefined, id: string): Promise<ScheduleRunView>
  runs(plugin: string | undefined, id: string, page: { limit: number; cursor?: string }): Promise<{ items: ScheduleRunView[]; nextCursor: string | null }>
}
