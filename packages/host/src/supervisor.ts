import { EventEmitter } from 'node:events'
import { credentials as grpcCredentials } from '@grpc/grpc-js'
import { createServiceApiAccess, mtlsChannelCredentials, mtlsServerCredentials, type Scope, type ServiceApiHandlers } from '@plugboard/proto'
import { hostError } from './errors.js'
import type { HookCallOptions, HookCase, HookRequest, HookResult } from './hook-channel.js'
import type { LogForwarderOptions } from './log-forwarder.js'
import type { PluginIsolation } from './isolation.js'
import type { HostLogger } from './logger.js'
import {
  PluginConnection,
  type PluginDescription,
  type PluginRequest,
  type PluginResponse,
  type PluginStreamMethod,
  type PluginUnaryMethod,
} from './plugin-connection.js'
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
  /** Interval of gRPC health checks; 0 turns them off. */
  healthIntervalMs?: number
  restart?: RestartPolicy
  logForwarding?: LogForwarderOptions
}

export type PluginState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped'

export interface SupervisorContext {
  runtime: 'gateway' | 'studio'
  logger: HostLogger
  serviceApi?: ServiceApiHandlers
}

interface Running {
  connection: PluginConnection
  process?: LaunchedPlugin
}

/**
 * One plugin under supervision: launches (or connects to) it, restarts it with
 * exponential backoff when it crashes or stops answering health checks, and
 * gives up (state `failed`) after too many crashes in a window. Calls made
 * while it is not running fail at once with PLUGIN_UNAVAILABLE (or
 * PLUGIN_FAILED once given up), never queue.
 *
 * Events: `state` (PluginState), `crash` (ExitStatus | Error), `restarted`.
 */
export class ManagedPlugin extends EventEmitter {
  readonly name: string
  readonly source: PluginSource
  #state: PluginState = 'starting'
  #running: Running | undefined
  #crashes: number[] = []
  #restarts = 0
  #retryTimer: NodeJS.Timeout | undefined
  #healthTimer: NodeJS.Timeout | undefined
  #stopping: Promise<void> | undefined
  readonly #logger: HostLogger

  constructor(
    readonly spec: PluginSpec,
    private readonly context: SupervisorContext,
  ) {
    super()
    this.name = spec.name
    this.source = parsePluginSource(spec.source)
    this.#logger = context.logger.child({ plugin: spec.name })
    if (this.source.kind === 'oci') {
      throw hostError('PLUGIN_SOURCE_UNSUPPORTED', `plugin "${spec.name}": oci:// sources are not supported by this host yet; use file:// or grpc://`)
    }
  }

  get state(): PluginState {
    return this.#state
  }

  /** Restarts since the first start. */
  get restarts(): number {
    return this.#restarts
  }

  get pid(): number | undefined {
    return this.#running?.process?.child.pid
  }

  get description(): PluginDescription | undefined {
    return this.#running?.connection.description
  }

  /** First start: resolves when the plugin serves; rejects (state `failed`) when it cannot start. */
  async start(): Promise<void> {
    try {
      await this.#startOnce()
    } catch (error) {
      this.#setState('failed')
      throw error
    }
  }

  callHook<H extends HookCase>(hook: H, request: HookRequest<H>, options: HookCallOptions): Promise<HookResult<H>> {
    // Not async: returning the connection's promise from an async function costs every hook call two more microtask turns.
    try {
      return this.#connection().callHook(hook, request, options)
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
   * after `shutdownTimeoutMs`. Idempotent; resolves when the process is gone.
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

  #setState(state: PluginState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', state)
  }

  async #startOnce(): Promise<void> {
    this.#setState(this.#restarts === 0 && !this.#running ? 'starting' : 'restarting')
    const source = this.source
    if (source.kind === 'oci') throw hostError('PLUGIN_SOURCE_UNSUPPORTED', `plugin "${this.name}": oci:// sources are not supported yet`)
    const running = source.kind === 'file' ? await this.#launch(source.path) : await this.#connectRemote(source)
    if (this.#stopping) {
      running.connection.close()
      running.process?.child.kill('SIGKILL')
      await running.process?.cleanup()
      return
    }
    this.#running = running
    this.#setState('running')
    this.#logger.info({ pluginPid: running.process?.child.pid, capabilities: running.connection.description.capabilities }, 'plugin started')
    running.process?.exited.then((status) => this.#onCrash(running, status))
    this.#scheduleHealthCheck(running)
  }

  async #launch(path: string): Promise<Running> {
    const { spec, context } = this
    const process = await launchPlugin({
      path,
      args: spec.args,
      env: spec.env,
      name: spec.name,
      runtime: context.runtime,
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
        ...this.#connectionOptions(),
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

  async #connectRemote(source: Extract<PluginSource, { kind: 'grpc' }>): Promise<Running> {
    if (!source.loopback) {
      throw hostError('PLUGIN_SOURCE_INVALID', `plugin "${this.name}": grpc:// off loopback (${source.host}) requires TLS, which this host does not configure yet`)
    }
    // No launch handshake swapped certificates, so the Service API is served on loopback TLS with a fresh
    // certificate and token per connection, both handed over in Initialize on the connection dialed here.
    const { access, serverCredentials } = await createServiceApiAccess()
    const connection = await PluginConnection.open({
      ...this.#connectionOptions(),
      target: source.target,
      credentials: grpcCredentials.createInsecure(),
      brokerCredentials: serverCredentials,
      serviceApiAccess: access,
    })
    return { connection }
  }

  #connectionOptions() {
    const { spec, context } = this
    return {
      name: spec.name,
      runtime: context.runtime,
      config: spec.config,
      scopes: spec.scopes ?? [],
      serviceApi: context.serviceApi,
      logger: this.#logger,
      initializeTimeoutMs: spec.initializeTimeoutMs,
    }
  }

  #scheduleHealthCheck(running: Running): void {
    const interval = this.spec.healthIntervalMs ?? 10_000
    if (interval <= 0) return
    this.#healthTimer = setTimeout(async () => {
      if (this.#running !== running || this.#state !== 'running') return
      if (await running.connection.healthy(Math.min(interval, 5000))) {
        this.#scheduleHealthCheck(running)
        return
      }
      this.#logger.warn({}, 'plugin failed its health check; restarting it')
      if (running.process) running.process.child.kill('SIGKILL')
      else this.#onCrash(running, hostError('PLUGIN_UNAVAILABLE', 'failed its health check'))
    }, interval)
    this.#healthTimer.unref()
  }

  #onCrash(running: Running, reason: ExitStatus | Error): void {
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
    const policy = this.spec.restart ?? {}
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
    this.#retryTimer = setTimeout(() => {
      this.#restarts++
      this.#startOnce().then(
        () => this.emit('restarted'),
        (error: unknown) => {
          this.#logger.error({ err: String(error) }, 'plugin restart failed')
          if (!this.#stopping) this.#scheduleRestart()
        },
      )
    }, delay)
  }

  async #stop(): Promise<void> {
    this.#setState('stopping')
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#healthTimer)
    const running = this.#running
    this.#running = undefined
    if (running) {
      const timeoutMs = this.spec.shutdownTimeoutMs ?? 2000
      await running.connection.requestShutdown(timeoutMs)
      running.connection.close()
      if (running.process) await terminate(running.process, timeoutMs)
    }
    this.#setState('stopped')
  }
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
