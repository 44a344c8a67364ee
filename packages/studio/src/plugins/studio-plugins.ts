import { isDeepStrictEqual } from 'node:util'
import { EdgePayloadDeliverer, PluginHost, type ManagedPlugin, type PluginHostOptions, type PluginManifest } from '@plugboard/host'
import { pluginSpecOf, samePluginProcess, type GatewayPluginHostOptions, type PluginConfig } from '@plugboard/gateway'
import { InProcessEventRelay, MemoryEventBus, PlugboardError, type Scope, type ServiceApiErrorCode } from '@plugboard/proto'
import type { Logger } from 'pino'
import type { ObjectType } from '../api/changes.js'
import type { StudioContext } from '../api/context.js'
import { SystemEventPublisher } from './system-events.js'
import { newSecret } from '../accounts/secrets.js'
import { SYSTEM_ACTOR } from '../api/writes.js'
import type { Row } from '../db/schema.js'
import { declarationsOf, runsIn } from './plugin-declarations.js'
import type { PluginLogTail } from './plugin-log-tail.js'
import {
  OBJECT_HOOK_EVENTS,
  type HookedObjectType,
  type ObjectHookBinding,
  type ObjectHookEventName,
  type PluginDirectory,
  type ScheduledPlugin,
  type ManifestSchedule,
  type StudioPluginSpec,
} from './plugin-runtime.js'

/** A problem a plugin had, kept for its status: a start or reload that failed, a crash. */
export interface PluginProblem {
  at: string
  runtime: 'studio' | 'gateway'
  code: string
  message: string
}

/** Problems kept per plugin. */
const PROBLEMS_KEPT = 20
/** How long the old process of a reloaded Studio half may take to finish its calls. */
const DRAIN_TIMEOUT_MS = 30_000
/** Object hooks get this long when their binding names no deadline. */
export const DEFAULT_OBJECT_HOOK_DEADLINE_MS = 2000

interface Entry {
  row: Row<'plugins'>
  config: PluginConfig
  /** The running Studio half, when the plugin has one and is enabled. */
  studio?: ManagedPlugin
}

export interface StudioPluginsOptions extends Partial<Omit<PluginHostOptions, 'runtime' | 'logger' | 'events' | 'relay'>> {
  logTail: PluginLogTail
  /** An object as the admin API presents it, for the `system.objects.>` events (see SystemEventPublisher). */
  present: (type: ObjectType, id: string) => Promise<unknown>
}

/** A plugin's declared schedules, stored for the scheduler (see `StudioPlugins.onSchedules`). */
export type ScheduleSync = (plugin: { id: string; name: string }, schedules: ManifestSchedule[]) => Promise<Array<{ scheduleId: string; message: string }>>

/** A stored plugin as the gateway YAML's plugin entry (what both runtimes' hosts run). */
export function pluginConfigOf(row: Pick<Row<'plugins'>, 'name' | 'spec' | 'revision'>): PluginConfig {
  const spec = row.spec as StudioPluginSpec
  return {
    ...(spec as Omit<PluginConfig, 'name'>),
    name: row.name,
    source: spec.source,
    priority: spec.priority ?? 0,
    failurePolicy: spec.failurePolicy ?? 'fail-open',
    config: spec.config ?? null,
    scopes: (spec.scopes ?? []) as Scope[],
    revision: row.revision,
  } as PluginConfig
}

/**
 * The plugin platform's Studio side: every installed plugin's Studio half
 * (object hooks, scheduled tasks, edge payloads, agents, UI) runs in one
 * PluginHost of runtime `studio`, brought to the stored state whenever a
 * plugin changes (on this node, or on another through the change relay).
 * Unlike the gateway's all-or-nothing apply, each plugin is reconciled on its
 * own: one that fails to start is marked failed with its error, and the others
 * go on. Its gateway half runs in the gateway, fed the same rows.
 */
export class StudioPlugins implements PluginDirectory {
  readonly host: PluginHost
  /** The gateway's process of a plugin, where this Studio runs a gateway (`plugboard up`); set by the platform. */
  gatewayHalf: ((name: string) => ManagedPlugin | undefined) | undefined
  readonly #entries = new Map<string, Entry>()
  readonly #problems = new Map<string, PluginProblem[]>()
  readonly #logger: Logger
  /** Studio's event bus; gateways in this process are linked to it through the relay. */
  readonly #relay: InProcessEventRelay
  readonly #edge: EdgePayloadDeliverer
  readonly #systemEvents: SystemEventPublisher
  /** What both runtimes' hosts share: the KV store and Studio's Service API methods. */
  readonly #shared: Pick<PluginHostOptions, 'kv' | 'services'>
  /** Per-process credentials of plugins granted llms.proxy: their completions go through the gateway as `plugin:<name>`. */
  readonly #proxyKeys = new Map<string, string>()
  #reconciling: Promise<void> = Promise.resolve()
  /** Plugins stored without a manifest (from a config file) whose manifest was looked for once. */
  readonly #described = new Set<string>()
  #learning: Promise<void> = Promise.resolve()
  /** Stores the schedules manifests declare; the manifests last stored, by plugin. */
  #syncSchedules: ScheduleSync | undefined
  readonly #syncedSchedules = new Map<string, string>()
  #unsubscribe: (() => void) | undefined
  #closed = false

  private constructor(
    private readonly ctx: Pick<StudioContext, 'db' | 'changes' | 'logger' | 'writes'>,
    readonly logTail: PluginLogTail,
    { present, ...hostOptions }: Omit<StudioPluginsOptions, 'logTail'>,
  ) {
    this.#logger = ctx.logger.child({ component: 'plugins' })
    const bus = new MemoryEventBus()
    this.#relay = new InProcessEventRelay(bus)
    this.#edge = new EdgePayloadDeliverer({ logger: this.#logger })
    this.#shared = { kv: hostOptions.kv, services: hostOptions.services }
    this.host = new PluginHost({ ...hostOptions, events: bus, relay: this.#relay, runtime: 'studio', logger: logTail.wrap(ctx.logger, 'studio') })
    this.#systemEvents = new SystemEventPublisher({ changes: ctx.changes, bus, present, logger: this.#logger })
  }

  /**
   * What a gateway in this process gives its plugin host: a bus of its own
   * linked to Studio's (UP events reach Studio's subscribers, DOWN ones the
   * gateway's), and edge payloads handed to each plugin's Studio half.
   */
  gatewayHostOptions(): GatewayPluginHostOptions {
    const bus = new MemoryEventBus()
    this.#relay.linkGateway(bus)
    return {
      ...this.#shared,
      events: bus,
      relay: this.#relay,
      edgePayloads: async (from, kind, payload) => {
        const half = this.studioHalf(from.plugin)
        if (!half) throw new PlugboardError<ServiceApiErrorCode>('SERVICE_UNAVAILABLE', `plugin "${from.plugin}" has no Studio process running to receive edge payloads`)
        this.#edge.deliver(half, { gatewayId: from.gatewayId, kind, payload })
      },
    }
  }

  /** Starts the Studio halves of the enabled plugins (a failure is recorded, not thrown) and follows changes. */
  static async start(ctx: Pick<StudioContext, 'db' | 'changes' | 'logger' | 'writes'>, options: StudioPluginsOptions): Promise<StudioPlugins> {
    const { logTail, ...hostOptions } = options
    const plugins = new StudioPlugins(ctx, logTail, hostOptions)
    // `config apply` writes plugins too, announced as one settings change.
    plugins.#unsubscribe = ctx.changes.subscribe((change) => (change.type === 'plugin' || change.type === 'setting' ? plugins.reconcile() : undefined))
    await plugins.reconcile()
    return plugins
  }

  /** Brings the running Studio halves to the stored plugins; serialized, and never rejects. */
  reconcile(): Promise<void> {
    const run = this.#reconciling.then(() => this.#reconcile())
    this.#reconciling = run.catch((error: unknown) => this.#logger.error({ err: String(error) }, 'plugins could not be reconciled'))
    return this.#reconciling
  }

  /**
   * The key with which plugin `plugin`'s completions (`llms.proxy`) go through
   * the gateway as the app `plugin:<name>`: made for this process, never stored.
   */
  proxyKey(plugin: string): string {
    let key = this.#proxyKeys.get(plugin)
    if (!key) this.#proxyKeys.set(plugin, (key = newSecret('pb-plugin-')))
    return key
  }

  /**
   * Hands every plugin's declared schedules to `sync` now and whenever a
   * manifest's schedules change (install, reload), with what it could not
   * store recorded as the plugin's problems.
   */
  async onSchedules(sync: ScheduleSync): Promise<void> {
    this.#syncSchedules = sync
    this.#syncedSchedules.clear()
    await this.reconcile()
  }

  /** Records a problem of a plugin in either runtime (the gateway reports its own here). */
  recordProblem(name: string, problem: Omit<PluginProblem, 'at'>): void {
    let problems = this.#problems.get(name)
    if (!problems) this.#problems.set(name, (problems = []))
    problems.push({ at: new Date().toISOString(), ...problem })
    if (problems.length > PROBLEMS_KEPT) problems.splice(0, problems.length - PROBLEMS_KEPT)
  }

  problems(name: string): PluginProblem[] {
    return [...(this.#problems.get(name) ?? [])]
  }

  forget(name: string): void {
    this.#problems.delete(name)
    this.logTail.forget(name)
  }

  studioHalf(name: string): ManagedPlugin | undefined {
    return this.#entries.get(name)?.studio
  }

  manifestOf(name: string): PluginManifest | undefined {
    return (this.#entries.get(name)?.row.manifest as PluginManifest | null) ?? undefined
  }

  objectHookBindings(type: HookedObjectType, event: ObjectHookEventName): ObjectHookBinding[] {
    if (!OBJECT_HOOK_EVENTS.includes(event)) return []
    const subscription = `${type}:${event}`
    const bindings: Array<ObjectHookBinding & { order: number }> = []
    let order = 0
    for (const { row, config, studio } of this.#entries.values()) {
      order++
      if (!studio || !row.enabled) continue
      const spec = row.spec as StudioPluginSpec
      if (!(spec.objectHooks ?? []).includes(type)) continue
      if (!(studio.description?.objectHooks ?? []).includes(subscription)) continue
      bindings.push({ plugin: row.name, priority: config.priority, failurePolicy: config.failurePolicy, deadlineMs: config.deadlineMs ?? DEFAULT_OBJECT_HOOK_DEADLINE_MS, managed: studio, order })
    }
    return bindings.sort((a, b) => a.priority - b.priority || a.order - b.order).map(({ order: _order, ...binding }) => binding)
  }

  scheduledPlugins(): ScheduledPlugin[] {
    const plugins: ScheduledPlugin[] = []
    for (const { row, studio } of this.#entries.values()) {
      if (!studio || !row.enabled) continue
      const declared = declarationsOf(row.manifest as PluginManifest | null)
      if (!declared.capabilities.includes('scheduler')) continue
      plugins.push({ id: row.id, name: row.name, managed: studio, schedules: declared.schedules as ManifestSchedule[] })
    }
    return plugins
  }

  /** Stops following changes and stops every Studio half. */
  async close(): Promise<void> {
    this.#closed = true
    this.#unsubscribe?.()
    await this.#systemEvents.close()
    this.#edge.close()
    await this.#reconciling
    await this.#learning
    await this.host.shutdown()
  }

  async #reconcile(): Promise<void> {
    if (this.#closed) return
    const rows = await this.ctx.db.selectFrom('plugins').selectAll().execute()
    const stored = new Map(rows.map((row) => [row.name, row]))
    for (const [name, entry] of this.#entries) {
      if (stored.has(name)) continue
      this.#entries.delete(name)
      if (entry.studio) await this.host.unload(name)
    }
    await Promise.all(rows.map((row) => this.#reconcileOne(row)))
    await this.#storeSchedules(rows)
    // Marked when queued: each description is a write that reconciles again, and would queue those still waiting once more.
    const unknown = rows.filter((row) => row.manifest === null && !this.#described.has(row.name))
    for (const row of unknown) this.#described.add(row.name)
    if (unknown.length > 0) this.#learning = this.#learning.then(() => this.#learnManifests(unknown))
  }

  async #storeSchedules(rows: Array<Row<'plugins'>>): Promise<void> {
    if (!this.#syncSchedules) return
    for (const name of this.#syncedSchedules.keys()) if (!rows.some((row) => row.name === name)) this.#syncedSchedules.delete(name)
    for (const row of rows) {
      const declared = declarationsOf(row.manifest as PluginManifest | null)
      if (!declared.capabilities.includes('scheduler')) continue
      const key = `${row.id}:${JSON.stringify(declared.schedules)}`
      if (this.#syncedSchedules.get(row.name) === key) continue
      this.#syncedSchedules.set(row.name, key)
      const problems = await this.#syncSchedules({ id: row.id, name: row.name }, declared.schedules as ManifestSchedule[])
      for (const problem of problems) this.recordProblem(row.name, { runtime: 'studio', code: 'SCHEDULE_INVALID', message: `schedule "${problem.scheduleId}": ${problem.message}` })
    }
  }

  /**
   * A plugin added by a config file (`config apply`, the first start's seed)
   * was stored without looking at it: its manifest and config schema are read
   * once, off the start path, so the API shows what it asks for and its
   * Studio half starts if it has one.
   */
  async #learnManifests(rows: Array<Row<'plugins'>>): Promise<void> {
    for (const row of rows) {
      if (this.#closed) return
      try {
        const described = await this.host.describe({ name: row.name, source: (row.spec as StudioPluginSpec).source })
        if (!described.manifest || this.#closed) continue
        await this.ctx.writes.run({ actor: SYSTEM_ACTOR, action: 'describe', type: 'plugin' }, async (trx) => {
          await trx
            .updateTable('plugins')
            .set({ manifest: JSON.stringify(described.manifest), config_schema: described.configSchema === undefined ? null : JSON.stringify(described.configSchema) })
            .where('id', '=', row.id)
            .where('manifest', 'is', null)
            .execute()
          return { id: row.id, before: undefined, after: { manifest: { id: described.manifest!.id, version: described.manifest!.version } }, result: undefined }
        })
      } catch (error) {
        this.#logger.warn({ plugin: row.name, err: String(error) }, 'the manifest of a plugin added by a config file could not be read')
      }
    }
  }

  async #reconcileOne(row: Row<'plugins'>): Promise<void> {
    const config = pluginConfigOf(row)
    const entry = this.#entries.get(row.name)
    const wanted = row.enabled && runsIn(declarationsOf(row.manifest as PluginManifest | null), 'studio')
    if (!entry) {
      const fresh: Entry = { row, config }
      this.#entries.set(row.name, fresh)
      if (wanted) fresh.studio = await this.#load(config)
      return
    }
    const previous = entry.config
    entry.row = row
    entry.config = config
    if (!wanted) {
      if (entry.studio) {
        entry.studio = undefined
        await this.host.unload(row.name)
      }
      return
    }
    if (!entry.studio || entry.studio.state === 'stopped') {
      entry.studio = await this.#load(config)
      return
    }
    if (!samePluginProcess(previous, config) || entry.studio.state === 'failed') {
      try {
        await this.host.reload(row.name, pluginSpecOf(config), { drainTimeoutMs: DRAIN_TIMEOUT_MS })
      } catch (error) {
        this.#failed(row.name, error, 'a new Studio process did not start; the previous one keeps serving')
      }
    } else if (!isDeepStrictEqual(previous.scopes, config.scopes) || !isDeepStrictEqual(previous.topics, config.topics)) {
      try {
        entry.studio.setScopes(config.scopes)
        entry.studio.setTopics(config.topics ?? {})
      } catch (error) {
        this.#failed(row.name, error, 'the new grant was refused')
      }
    }
  }

  async #load(config: PluginConfig): Promise<ManagedPlugin | undefined> {
    try {
      const plugin = await this.host.load(pluginSpecOf(config))
      plugin.on('crash', (reason: unknown) =>
        this.recordProblem(config.name, { runtime: 'studio', code: 'PLUGIN_EXITED', message: reason instanceof Error ? reason.message : `exited ${JSON.stringify(reason)}` }),
      )
      return plugin
    } catch (error) {
      this.#failed(config.name, error, 'its Studio process did not start')
      return undefined
    }
  }

  #failed(name: string, error: unknown, what: string): void {
    const code = (error as { code?: string }).code ?? 'PLUGIN_LAUNCH_FAILED'
    const message = (error as Error).message ?? String(error)
    this.recordProblem(name, { runtime: 'studio', code, message })
    this.#logger.warn({ plugin: name, code, err: message }, what)
  }
}
