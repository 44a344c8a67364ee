import { hostname } from 'node:os'
import {
  MemoryEventBus,
  MemoryKvStore,
  createCoreServiceHandlers,
  unavailableControlPlane,
  type EdgePayloadSink,
  type EventBus,
  type EventRelay,
  type KvStore,
  type ServiceApiHandlers,
} from '@plugboard/proto'
import { hostError } from './errors.js'
import { PluginLogLimiter } from './log-forwarder.js'
import type { HostLogger } from './logger.js'
import type { JsonSchema, PluginManifest } from './plugin-manifest.js'
import { ManagedPlugin, type PluginSpec, type ReloadOptions } from './supervisor.js'

export interface PluginHostOptions {
  runtime: 'gateway' | 'studio'
  logger: HostLogger
  /** Shared KV storage behind the Service API; in-memory by default. */
  kv?: KvStore
  /** This runtime's own event bus behind the Service API (LOCAL events); in-process by default. */
  events?: EventBus
  /**
   * The link to the other runtime's buses: a gateway's plugins publish UP
   * through it, Studio's DOWN (see `InProcessEventRelay`). Without one, UP and
   * DOWN fail with SERVICE_UNAVAILABLE and only LOCAL events work.
   */
  relay?: EventRelay
  /** This host's id among its peers: the `gatewayId` of the edge payloads a gateway's plugins send. Default "hostname:pid". */
  instanceId?: string
  /**
   * Gateway: takes the edge payloads its plugins send (SendEdgePayload) to
   * the Studio half of the same plugin (see `EdgePayloadDeliverer` on the
   * Studio side). Without it, SendEdgePayload fails with SERVICE_UNAVAILABLE.
   */
  edgePayloads?: EdgePayloadSink
  /** The runtime's own Service API methods (llms, apps, …); the rest answer SERVICE_UNAVAILABLE. */
  services?: Partial<ServiceApiHandlers>
}

/**
 * The plugin runtime a gateway or Studio embeds: loads plugins, serves them the
 * Service API, and shuts them all down.
 *
 * @example
 * const host = new PluginHost({ runtime: 'gateway', logger: pino() })
 * const plugin = await host.load({ name: 'ip-allowlist', source: 'file:///opt/plugins/ip-allowlist', config: { allow: ['10.0.0.0/8'] } })
 * const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
 */
export class PluginHost {
  readonly serviceApi: ServiceApiHandlers
  /** This runtime's bus: LOCAL events of its plugins, and UP / DOWN events the relay brings in. */
  readonly events: EventBus
  readonly #plugins = new Map<string, ManagedPlugin>()
  /** Each plugin's Service API `Log` calls pass the limits of its stderr. */
  readonly #logLimiters = new Map<string, PluginLogLimiter>()
  #shuttingDown = false

  constructor(private readonly options: PluginHostOptions) {
    const pluginLog = options.logger.child({ source: 'plugin-service-log' })
    this.events = options.events ?? new MemoryEventBus()
    this.serviceApi = {
      ...unavailableControlPlane(options.runtime),
      ...createCoreServiceHandlers({
        kv: options.kv ?? new MemoryKvStore(),
        events: this.events,
        routing: { runtime: options.runtime, relay: options.relay, instanceId: options.instanceId ?? `${hostname()}:${process.pid}` },
        edgePayloads: options.edgePayloads,
        log: ({ plugin, level, message, fields }) => {
          let limiter = this.#logLimiters.get(plugin)
          if (!limiter) {
            limiter = new PluginLogLimiter(pluginLog, { plugin }, this.#plugins.get(plugin)?.spec.logForwarding)
            this.#logLimiters.set(plugin, limiter)
          }
          if (limiter.admit()) limiter.write(level, fields, message)
        },
      }),
      ...options.services,
    }
  }

  /**
   * Starts a plugin and keeps it supervised; rejects when its first start
   * fails. With `keepFailed`, a plugin whose first start failed stays loaded
   * in state `failed` (`get(name)`; its calls fail with PLUGIN_FAILED) until a
   * `reload` or `restart` starts it.
   */
  async load(spec: PluginSpec, options: { keepFailed?: boolean } = {}): Promise<ManagedPlugin> {
    if (this.#shuttingDown) throw hostError('HOST_SHUTTING_DOWN', `cannot load plugin "${spec.name}": the host is shutting down`)
    if (this.#plugins.has(spec.name)) throw hostError('PLUGIN_SOURCE_INVALID', `a plugin named "${spec.name}" is already loaded`)
    const plugin = new ManagedPlugin(spec, { runtime: this.options.runtime, logger: this.options.logger, serviceApi: this.serviceApi })
    this.#plugins.set(spec.name, plugin)
    try {
      await plugin.start()
      return plugin
    } catch (error) {
      if (!options.keepFailed) this.#plugins.delete(spec.name)
      throw error
    }
  }

  /**
   * Starts a plugin only to read what it says about itself (manifest and
   * config schema; no config, grant or Initialize), then stops it: what an
   * install shows an admin before anything is granted. Rejects as `load`
   * does when it cannot be started (PLUGIN_NOT_FOUND, PLUGIN_EXITED, …).
   */
  async describe(spec: Pick<PluginSpec, 'name' | 'source' | 'env' | 'args' | 'isolation' | 'allowRead' | 'allowWrite' | 'handshakeTimeoutMs' | 'initializeTimeoutMs'>): Promise<{ manifest?: PluginManifest; configSchema?: JsonSchema }> {
    if (this.#shuttingDown) throw hostError('HOST_SHUTTING_DOWN', `cannot describe plugin "${spec.name}": the host is shutting down`)
    // Someone is waiting for the answer (an admin installing it): a plugin that does not come up is given up sooner than at a load.
    const bounded = { handshakeTimeoutMs: spec.handshakeTimeoutMs ?? 15_000, initializeTimeoutMs: spec.initializeTimeoutMs ?? 10_000 }
    const probe = new ManagedPlugin({ ...spec, ...bounded, healthIntervalMs: 0, restart: { maxCrashes: 1 } }, { runtime: this.options.runtime, logger: this.options.logger, describeOnly: true })
    try {
      await probe.start()
      return { manifest: probe.manifest, configSchema: probe.configSchema }
    } finally {
      await probe.stop()
    }
  }

  /**
   * Replaces one plugin's process with one started from `spec`, side by side,
   * draining the old one (see `ManagedPlugin.reload`). The ManagedPlugin
   * object stays the same. Rejects with PLUGIN_NOT_LOADED for a name not
   * loaded, or with the new one's start failure while the old one keeps serving.
   */
  async reload(name: string, spec: PluginSpec, options?: ReloadOptions): Promise<void> {
    await this.#loaded(name).reload(spec, options)
  }

  /** Restarts one plugin now, also one that was given up (see `ManagedPlugin.restart`). */
  async restart(name: string): Promise<void> {
    await this.#loaded(name).restart()
  }

  #loaded(name: string): ManagedPlugin {
    if (this.#shuttingDown) throw hostError('HOST_SHUTTING_DOWN', `cannot change plugin "${name}": the host is shutting down`)
    const plugin = this.#plugins.get(name)
    if (!plugin) throw hostError('PLUGIN_NOT_LOADED', `no plugin named "${name}" is loaded; load it first`)
    return plugin
  }

  get(name: string): ManagedPlugin | undefined {
    return this.#plugins.get(name)
  }

  list(): ManagedPlugin[] {
    return [...this.#plugins.values()]
  }

  /** Stops and forgets one plugin. */
  async unload(name: string): Promise<void> {
    const plugin = this.#plugins.get(name)
    this.#plugins.delete(name)
    this.#logLimiters.delete(name)
    await plugin?.stop()
  }

  /** Stops every plugin (in parallel); idempotent. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true
    await Promise.all([...this.#plugins.values()].map((plugin) => plugin.stop()))
    this.#plugins.clear()
  }
}
