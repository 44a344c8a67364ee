import { EventEmitter } from 'node:events'
import { credentials as grpcCredentials } from '@grpc/grpc-js'
import {
  createServiceApiAccess,
  mtlsChannelCredentials,
  mtlsServerCredentials,
  type PlugboardError,
  type Scope,
  type ServiceApiHandlers,
} from '@plugboard/proto'
import { hostError } from './errors.js'
import type { HookCallOptions, HookCase, HookRequest, HookResult } from './hook-channel.js'
import type { LogForwarderOptions } from './log-forwarder.js'
import type { PluginIsolation } from './isolation.js'
import type { HostLogger } from './logger.js'
import { validateScopes, validateTopics, type JsonSchema, type PluginManifest, type TopicPatterns } from './plugin-manifest.js'
import {
  PluginConnection,
  type ConnectOptions,
  type PluginDescription,
  type PluginRequest,
  type PluginResponse,
  type PluginStreamMethod,
  type PluginUnaryMethod,
} from './plugin-connection.js'
import type { ServiceApiRateLimit } from './service-api-server.js'
import { launchPlugin, type ExitStatus, type LaunchedPlugin } from './plugin-process.js'
import { parsePluginSource, type PluginSource } from './source.js'

export interface RestartPolicy {
  /** Delay before the first restart; doubles with each crash up to `maxDelayMs`. */
  initialDelayMs?: number
  maxDelayMs?: number
  /** This many crashes within `windowMs` and the plugin is marked failed. */
  maxCrashes?: number
  windowMs?: number
}

/** How to run one plugin. */
export interface PluginSpec {
  /** Install name (slug); KV namespace and log name. */
  name: string
  /** file:///path, grpc://host:port or oci://… */
  source: string
  args?: string[]
  env?: Record<string, string>
  config?: unknown
  /** Service API scopes an admin granted. */
  scopes?: Scope[]
  /** Topic patterns an admin granted, each within the manifest's `permissions.events`; none when absent. */
  topics?: TopicPatterns
  autoMtls?: boolean
  /** Own uid/gid when the host is root, Node's permission model for Node plugins; `false` turns both off. */
  isolation?: PluginIsolation | false
  /** Paths a Node plugin may read / write beyond its own directory / its socket directory. */
  allowRead?: string[]
  allowWrite?: string[]
  memoryLimitMb?: number
  handshakeTimeoutMs?: number
  initializeTimeoutMs?: number
  /** Time the plugin gets to exit after Controller.Shutdown before SIGTERM, and again before SIGKILL. */
  shutdownTimeoutMs?: number
  /** Time a session-aware plugin gets for onSessionReady (each process, after Initialize) and onSessionClosing (before shutdown); default 5 s. */
  sessionHookTimeoutMs?: number
  /** Interval of gRPC health checks; 0 turns them off. */
  healthIntervalMs?: number
  restart?: RestartPolicy
  logForwarding?: LogForwarderOptions
  /** Its Service API call rate (token bucket per connection); default `DEFAULT_SERVICE_API_RATE_LIMIT` (20,000/s, burst 40,000). */
  serviceApiRateLimit?: ServiceApiRateLimit
}

export type PluginState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped'

export interface SupervisorContext {
  runtime: 'gateway' | 'studio'
  logger: HostLogger
  serviceApi?: ServiceApiHandlers
  /** Start it only to read its manifest and config schema (see `PluginHost.describe`). */
  describeOnly?: boolean
}

/** How a reload hands over from the old process (or connection) to the new one. */
export interface ReloadOptions {
  /** How long the old one may take to finish its in-flight calls before it is stopped anyway; default 30 s. */
  drainTimeoutMs?: number
}

/** One process (or remote connection) serving the plugin. */
interface Running {
  connection: PluginConnection
  process?: LaunchedPlugin
  /** Set once its shutdown began; shutting down again returns it. */
  shutdown?: Promise<void>
}

/**
 * One plugin under supervision: launches (or connects to) it, restarts it with
 * exponential backoff when it crashes, stops answering health checks or its
 * hook channel keeps breaking, and gives up (state `failed`) after too many
 * crashes in a window. Calls made while it is not running fail at once with
 * PLUGIN_UNAVAILABLE (or PLUGIN_FAILED once given up), never queue.
 *
 * `reload` and `restart` replace the process side by side: the new one starts,
 * is checked and initialized while the old one serves, then takes every new
 * call while the old one finishes its in-flight calls. The object stays the
 * same, so chains holding it keep working. Starts, reloads and restarts run one
 * at a time, in call order.
 *
 * Events: `state` (PluginState), `crash` (ExitStatus | Error), `restarted`
 * (a new process serves after a crash or `restart()`), `reloaded`.
 */
export class ManagedPlugin extends EventEmitter {
  readonly name: string
  #spec: PluginSpec
  #source: SupportedSource
  #state: PluginState = 'starting'
  #running: Running | undefined
  /** Old ones still finishing their calls after a reload. */
  readonly #draining = new Set<Running>()
  #manifest: PluginManifest | undefined
  #configSchema: JsonSchema | undefined
  #crashes: number[] = []
  #restarts = 0
  #generation = 0
  /** Counts `setScopes` and `setTopics` calls: a replacement asked for before the latest one must take that grant, not its spec's. */
  #grantChanges = 0
  #retryTimer: NodeJS.Timeout | undefined
  #healthTimer: NodeJS.Timeout | undefined
  #stopping: Promise<void> | undefined
  /** The last start, reload or restart: the next one waits for it. */
  #lifecycle: Promise<unknown> = Promise.resolve()
  readonly #logger: HostLogger

  constructor(
    spec: PluginSpec,
    private readonly context: SupervisorContext,
  ) {
    super()
    this.name = spec.name
    this.#spec = spec
    this.#source = supportedSource(spec)
    this.#logger = context.logger.child({ plugin: spec.name })
  }

  /** The spec the plugin runs with now (the last one reloaded, with the current scopes and topics). */
  get spec(): PluginSpec {
    return this.#spec
  }

  get source(): PluginSource {
    return this.#source
  }

  get state(): PluginState {
    return this.#state
  }

  /** Restarts since the first start: after crashes, and by `restart()`. */
  get restarts(): number {
    return this.#restarts
  }

  /**
   * Counts the processes (or connections) that have served the plugin: it
   * changes whenever a new one takes over (restart, reload). A circuit
   * breaker opened before the change gives the new one a trial at once.
   */
  get generation(): number {
    return this.#generation
  }

  /** Running with a working connection (and hook channel): cheap enough for every readiness probe. */
  get available(): boolean {
    return this.#state === 'running' && this.#running !== undefined && this.#running.connection.available
  }

  get pid(): number | undefined {
    return this.#running?.process?.child.pid
  }

  get description(): PluginDescription | undefined {
    return this.#running?.connection.description
  }

  /** The manifest the serving process returned (kept while it restarts); undefined for a plugin that serves none. */
  get manifest(): PluginManifest | undefined {
    return this.#manifest
  }

  /** The JSON Schema its config is validated against; undefined for a plugin that serves none. */
  get configSchema(): JsonSchema | undefined {
    return this.#configSchema
  }

  /** First start: resolves when the plugin serves; rejects (state `failed`) when it cannot start. */
  start(): Promise<void> {
    return this.#serialized(async () => {
      try {
        this.#install(await this.#open(this.#spec, this.#source))
      } catch (error) {
        if (!this.#stopping) this.#setState('failed')
        throw error
      }
    })
  }

  /**
   * Replaces the running process (or connection) with one started from
   * `spec`, side by side: the new one is launched, its config and scopes are
   * checked, it is initialized and health-checked while the old one keeps
   * serving; then new calls go to it, the old one finishes its in-flight calls
   * and the response streams it began (at most `drainTimeoutMs`, default 30 s)
   * and is stopped. Resolves once the old one is stopped. Works from any state
   * but stopped, `failed` included, and resets the crash window. An upgrade is
   * a reload with another source or version.
   *
   * When the new one fails to start, the old one keeps serving and this
   * rejects with the reason's code (PLUGIN_CONFIG_INVALID,
   * PLUGIN_SCOPES_INVALID, PLUGIN_LAUNCH_FAILED, PLUGIN_INITIALIZE_FAILED, …).
   */
  reload(spec: PluginSpec, options: ReloadOptions = {}): Promise<void> {
    return this.#replace(spec, options, 'reload')
  }

  /**
   * Restarts the plugin now with its current spec, side by side as `reload`
   * does; also from state `failed`, with a fresh crash window.
   */
  restart(): Promise<void> {
    return this.#replace(this.#spec, {}, 'restart')
  }

  /**
   * Changes the Service API scopes granted to the plugin without reconnecting:
   * the next Service API call is checked against them, also on a process a
   * reload or restart is starting meanwhile (the later call wins). An old
   * process still draining after a reload keeps its grant. Throws
   * PLUGIN_SCOPES_INVALID (and keeps the old grant) unless each is a known
   * scope the manifest requests.
   */
  setScopes(scopes: readonly Scope[]): void {
    validateScopes(this.name, this.#manifest, scopes)
    this.#running?.connection.setScopes(scopes)
    this.#spec = { ...this.#spec, scopes: [...scopes] }
    this.#grantChanges++
  }

  /**
   * Changes the topic patterns granted to the plugin without reconnecting,
   * as `setScopes` does: the next Publish or Subscribe is checked against
   * them, and an open subscription they no longer cover ends at its next
   * event with TOPIC_DENIED. Throws PLUGIN_TOPICS_INVALID (and keeps the old
   * grant) unless the manifest's `permissions.events` covers each pattern.
   */
  setTopics(topics: TopicPatterns): void {
    validateTopics(this.name, this.#manifest, topics)
    this.#running?.connection.setTopics(topics)
    this.#spec = { ...this.#spec, topics: { publish: [...(topics.publish ?? [])], subscribe: [...(topics.subscribe ?? [])] } }
    this.#grantChanges++
  }

  callHook<H extends HookCase>(hook: H, request: HookRequest<H>, options: HookCallOptions): Promise<HookResult<H>> {
    // Not async: returning the connection's promise from an async function costs every hook call two more microtask turns.
    try {
      const connection = hook === 'responseChunk' && this.#draining.size > 0 ? this.#streamConnection(request as HookRequest<'responseChunk'>) : this.#connection()
      return connection.callHook(hook, request, options)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Any unary Plugin RPC, for work off the hot path. */
  async rpc<M extends PluginUnaryMethod>(method: M, request: PluginRequest<M>, options: HookCallOptions): Promise<PluginResponse<M>> {
    return this.#connection().call(method, request, options)
  }

  /** A server-streaming Plugin RPC (custom endpoints, agents). */
  stream<M extends PluginStreamMethod>(method: M, request: PluginRequest<M>, options: { signal?: AbortSignal }): AsyncIterable<PluginResponse<M>> {
    return this.#connection().stream(method, request, options)
  }

  /**
   * Graceful shutdown: Controller.Shutdown, then SIGTERM, then SIGKILL, each
   * after `shutdownTimeoutMs`. Idempotent; resolves when the process is gone
   * (and any old one still draining after a reload).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  #connection(): PluginConnection {
    if (this.#state === 'running' && this.#running) return this.#running.connection
    if (this.#state === 'failed') throw hostError('PLUGIN_FAILED', `plugin "${this.name}" crashed too often and was given up; fix it and reload it`)
    throw hostError('PLUGIN_UNAVAILABLE', `plugin "${this.name}" is ${this.#state}`)
  }

  /**
   * During a drain, a response stream that began on the old process stays there to its end, so a
   * chunk hook that keeps per-stream state sees the whole stream; new streams go to the new one.
   */
  #streamConnection(chunk: HookRequest<'responseChunk'>): PluginConnection {
    for (const old of this.#draining) if (old.connection.holdsStream(chunk.streamId)) return old.connection
    return this.#connection()
  }

  #setState(state: PluginState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', state)
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#lifecycle.then(task)
    this.#lifecycle = result.catch(() => undefined)
    return result
  }

  async #replace(requested: PluginSpec, options: ReloadOptions, reason: 'reload' | 'restart'): Promise<void> {
    const grantChanges = this.#grantChanges
    const previous = await this.#serialized(async () => {
      if (this.#stopping) throw hostError('PLUGIN_UNAVAILABLE', `plugin "${this.name}" was stopped; load it again instead`)
      if (requested.name !== this.name) throw hostError('PLUGIN_SOURCE_INVALID', `cannot reload plugin "${this.name}" as "${requested.name}": the name is its identity`)
      const source = supportedSource(requested)
      let opened: { running: Running; spec: PluginSpec }
      try {
        opened = await this.#openWithCurrentGrant(requested, source, grantChanges)
      } catch (error) {
        this.#logger.warn({ err: String(error), reason }, 'plugin replacement failed to start; the current one keeps serving')
        throw error
      }
      const { running: next, spec } = opened
      this.#spec = spec
      this.#source = source
      this.#crashes = []
      if (reason === 'restart') this.#restarts++
      const replaced = this.#install(next)
      // At once: the streams it began must find it (see #streamConnection) from the first call after the switch.
      if (replaced) this.#draining.add(replaced)
      return replaced
    })
    this.emit(reason === 'restart' ? 'restarted' : 'reloaded')
    if (!previous) return
    try {
      if (!(await previous.connection.drained(options.drainTimeoutMs ?? 30_000))) {
        this.#logger.warn({ inFlight: previous.connection.inFlight }, 'old plugin process did not finish its calls in time; stopping it anyway')
      }
      await this.#shutdown(previous, { replaced: true })
    } finally {
      this.#draining.delete(previous)
    }
  }

  /**
   * {@link #open}, then, when `setScopes` or `setTopics` ran since `grantChanges` was read (an admin
   * revoked a grant while the process started), the grant set then replaces the spec's: the later call wins.
   */
  async #openWithCurrentGrant(spec: PluginSpec, source: SupportedSource, grantChanges: number): Promise<{ running: Running; spec: PluginSpec }> {
    const running = await this.#open(spec, source)
    if (this.#grantChanges === grantChanges) return { running, spec }
    const current = { ...spec, scopes: this.#spec.scopes, topics: this.#spec.topics }
    try {
      running.connection.setScopes(current.scopes ?? [])
      running.connection.setTopics(current.topics ?? {})
    } catch (error) {
      await this.#dispose(running)
      throw error
    }
    return { running, spec: current }
  }

  /** Launches (or connects), checks and initializes one process, and health-checks it; leaves nothing behind when it fails. */
  async #open(spec: PluginSpec, source: SupportedSource): Promise<Running> {
    let running: Running | undefined
    const options: ConnectionOptions = {
      name: spec.name,
      runtime: this.context.runtime,
      config: spec.config,
      scopes: spec.scopes ?? [],
      topics: spec.topics,
      serviceApi: this.context.serviceApi,
      serviceApiRateLimit: spec.serviceApiRateLimit,
      logger: this.#logger,
      initializeTimeoutMs: spec.initializeTimeoutMs,
      describeOnly: this.context.describeOnly,
      onBroken: (error) => {
        if (running) this.#replaceBroken(running, error)
      },
    }
    running = source.kind === 'file' ? await this.#launch(spec, source.path, options) : await this.#connectRemote(source, options)
    try {
      if (!(await running.connection.healthy(Math.min(spec.initializeTimeoutMs ?? 30_000, 5000)))) {
        throw hostError('PLUGIN_UNAVAILABLE', `plugin "${spec.name}" started but did not pass its first health check`)
      }
    } catch (error) {
      await this.#dispose(running)
      throw error
    }
    // Every process gets its own session: a restarted or reloaded one is told again.
    await running.connection.notifySession('ready', spec.sessionHookTimeoutMs ?? 5000)
    return running
  }

  /** Makes `running` the one that serves; returns the one it replaced. */
  #install(running: Running): Running | undefined {
    if (this.#stopping) {
      void this.#dispose(running)
      throw hostError('PLUGIN_UNAVAILABLE', `plugin "${this.name}" was stopped while it started`)
    }
    const previous = this.#running
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#healthTimer)
    this.#running = running
    this.#manifest = running.connection.manifest
    this.#configSchema = running.connection.configSchema
    this.#generation++
    this.#setState('running')
    // A look at its manifest (describe) is not a plugin starting to serve: kept out of the info log.
    this.#logger[this.context.describeOnly ? 'debug' : 'info'](
      { pluginPid: running.process?.child.pid, capabilities: running.connection.description.capabilities, generation: this.#generation },
      'plugin started',
    )
    void running.process?.exited.then((status) => this.#onCrash(running, status))
    this.#scheduleHealthCheck(running)
    return previous
  }

  async #launch(spec: PluginSpec, path: string, options: ConnectionOptions): Promise<Running> {
    const process = await launchPlugin({
      path,
      args: spec.args,
      env: spec.env,
      name: spec.name,
      runtime: this.context.runtime,
      logger: this.#logger,
      handshakeTimeoutMs: spec.handshakeTimeoutMs,
      autoMtls: spec.autoMtls,
      isolation: spec.isolation,
      allowRead: spec.allowRead,
      allowWrite: spec.allowWrite,
      memoryLimitMb: spec.memoryLimitMb,
      logForwarding: spec.logForwarding,
    })
    try {
      const { handshake } = process
      const connection = await PluginConnection.open({
        ...options,
        target: handshake.network === 'unix' ? `unix:${handshake.address}` : handshake.address,
        credentials: mtlsChannelCredentials(process.identity, process.pluginCertPem),
        brokerCredentials: mtlsServerCredentials(process.identity, process.pluginCertPem),
        dir: process.dir,
      })
      return { connection, process }
    } catch (error) {
      process.child.kill('SIGKILL')
      await process.exited
      await process.cleanup()
      throw error
    }
  }

  async #connectRemote(source: Extract<PluginSource, { kind: 'grpc' }>, options: ConnectionOptions): Promise<Running> {
    if (!source.loopback) {
      throw hostError('PLUGIN_SOURCE_INVALID', `plugin "${this.name}": grpc:// off loopback (${source.host}) requires TLS, which this host does not configure yet`)
    }
    // No launch handshake swapped certificates, so the Service API is served on loopback TLS with a fresh
    // certificate and token per connection, both handed over in Initialize on the connection dialed here.
    const { access, serverCredentials } = await createServiceApiAccess()
    const connection = await PluginConnection.open({
      ...options,
      target: source.target,
      credentials: grpcCredentials.createInsecure(),
      brokerCredentials: serverCredentials,
      serviceApiAccess: access,
    })
    return { connection }
  }

  #scheduleHealthCheck(running: Running): void {
    const interval = this.#spec.healthIntervalMs ?? 10_000
    if (interval <= 0) return
    this.#healthTimer = setTimeout(async () => {
      if (this.#running !== running || this.#state !== 'running') return
      if (await running.connection.healthy(Math.min(interval, 5000))) {
        this.#scheduleHealthCheck(running)
        return
      }
      this.#replaceBroken(running, hostError('PLUGIN_UNAVAILABLE', 'failed its health check'))
    }, interval)
    this.#healthTimer.unref()
  }

  /** The serving process is alive but unusable (health check, hook channel): kill it, and the crash handling restarts it. */
  #replaceBroken(running: Running, reason: PlugboardError): void {
    if (this.#running !== running) return
    this.#logger.warn({ reason: reason.message }, 'plugin is unusable; restarting it')
    if (running.process) running.process.child.kill('SIGKILL')
    else this.#onCrash(running, reason)
  }

  #onCrash(running: Running, reason: ExitStatus | Error): void {
    // An old process that dies while draining has nothing more to finish: its drain is over.
    if (this.#draining.has(running)) running.connection.close(hostError('PLUGIN_UNAVAILABLE', `plugin "${this.name}": its old process exited while draining`))
    if (this.#running !== running || this.#stopping) return
    this.#running = undefined
    clearTimeout(this.#healthTimer)
    const what = reason instanceof Error ? reason.message : `exited (code ${reason.code}, signal ${reason.signal})`
    running.connection.close(hostError('PLUGIN_UNAVAILABLE', `plugin "${this.name}" ${what}; it is being restarted`))
    void running.process?.cleanup()
    this.emit('crash', reason)
    this.#logger.error({ reason: reason instanceof Error ? reason.message : reason }, 'plugin crashed')
    this.#scheduleRestart()
  }

  #scheduleRestart(): void {
    const policy = this.#spec.restart ?? {}
    const now = Date.now()
    const windowMs = policy.windowMs ?? 60_000
    this.#crashes = [...this.#crashes.filter((at) => now - at < windowMs), now]
    if (this.#crashes.length >= (policy.maxCrashes ?? 5)) {
      this.#setState('failed')
      this.#logger.error({ crashes: this.#crashes.length, windowMs }, 'plugin crashed too often; giving up')
      return
    }
    const delay = Math.min((policy.initialDelayMs ?? 100) * 2 ** (this.#crashes.length - 1), policy.maxDelayMs ?? 10_000)
    this.#setState('restarting')
    this.#retryTimer = setTimeout(() => void this.#serialized(() => this.#restartAfterCrash()), delay)
  }

  async #restartAfterCrash(): Promise<void> {
    // A reload or restart() that ran meanwhile already put a process in place.
    if (this.#running || this.#stopping) return
    this.#restarts++
    try {
      const { running, spec } = await this.#openWithCurrentGrant(this.#spec, this.#source, this.#grantChanges)
      this.#spec = spec
      this.#install(running)
      this.emit('restarted')
    } catch (error) {
      this.#logger.error({ err: String(error) }, 'plugin restart failed')
      if (!this.#stopping) this.#scheduleRestart()
    }
  }

  /**
   * Stops one process gracefully; safe to call more than once. A remote one that was `replaced` is
   * only disconnected: the connection that replaced it serves the same process.
   */
  #shutdown(running: Running, { replaced }: { replaced: boolean }): Promise<void> {
    running.shutdown ??= (async () => {
      const timeoutMs = this.#spec.shutdownTimeoutMs ?? 2000
      // A remote process looked at only (describe) is left running: it serves whoever installs it next.
      if (running.process || (!replaced && !this.context.describeOnly)) {
        await running.connection.notifySession('closing', this.#spec.sessionHookTimeoutMs ?? 5000)
        await running.connection.requestShutdown(timeoutMs)
      }
      running.connection.close(hostError('PLUGIN_UNAVAILABLE', `plugin "${this.name}": its process was stopped`))
      if (running.process) await terminate(running.process, timeoutMs)
    })()
    return running.shutdown
  }

  /** Discards a process that never served. */
  async #dispose(running: Running): Promise<void> {
    running.connection.close()
    if (!running.process) return
    running.process.child.kill('SIGKILL')
    await running.process.exited
    await running.process.cleanup()
  }

  async #stop(): Promise<void> {
    this.#setState('stopping')
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#healthTimer)
    const running = this.#running
    this.#running = undefined
    await Promise.all([
      running && this.#shutdown(running, { replaced: false }),
      ...[...this.#draining].map((old) => this.#shutdown(old, { replaced: true })),
    ])
    this.#setState('stopped')
  }
}

type SupportedSource = Exclude<PluginSource, { kind: 'oci' }>
type ConnectionOptions = Omit<ConnectOptions, 'target' | 'credentials' | 'brokerCredentials' | 'dir'>

function supportedSource(spec: PluginSpec): SupportedSource {
  const source = parsePluginSource(spec.source)
  if (source.kind === 'oci') {
    throw hostError('PLUGIN_SOURCE_UNSUPPORTED', `plugin "${spec.name}": oci:// sources are not supported by this host yet; use file:// or grpc://`)
  }
  return source
}

/** Waits for a process to exit after Shutdown; sends SIGTERM, then SIGKILL, after `timeoutMs` each. */
async function terminate(process: LaunchedPlugin, timeoutMs: number): Promise<void> {
  const exitedWithin = (ms: number) =>
    Promise.race([process.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())])
  if (!(await exitedWithin(timeoutMs))) {
    process.child.kill('SIGTERM')
    if (!(await exitedWithin(timeoutMs))) process.child.kill('SIGKILL')
  }
  await process.exited
  await process.cleanup()
}
