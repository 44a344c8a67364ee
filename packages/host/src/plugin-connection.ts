import { randomUUID } from 'node:crypto'
import { Metadata, type ChannelCredentials, type ClientReadableStream, type ServerCredentials } from '@grpc/grpc-js'
import {
  NO_TOPICS,
  PLUGIN_CHANNEL_OPTIONS,
  PluginClient,
  PluginService,
  callUnary,
  capabilityName,
  fromGrpcError,
  goplugin,
  health,
  isPlugboardError,
  pluginv1 as pb,
  type PlugboardError,
  ServiceApiService,
  writeServiceApiAccess,
  type CapabilityName,
  type ServiceApiAccess,
  type Scope,
  type ServiceApiHandlers,
  type ServiceCaller,
} from '@plugboard/proto'
import { hostError } from './errors.js'
import { HostBroker } from './broker.js'
import { HookChannel, type HookCallOptions, type HookCase, type HookRequest, type HookResult } from './hook-channel.js'
import type { HostLogger } from './logger.js'
import { readSelfDescription, validateConfig, validateScopes, validateTopics, type JsonSchema, type PluginManifest, type TopicPatterns } from './plugin-manifest.js'
import { serviceApiImplementation, type ServiceApiRateLimit } from './service-api-server.js'

/**
 * Broker id under which the host offers the Service API on its first connection. Each later
 * connection uses the next id, so a process that serves two connections at once (a grpc://
 * plugin during a reload) dials the Service API of the connection whose Initialize it answered.
 */
export const SERVICE_API_BROKER_ID = 1
let nextServiceApiBrokerId = SERVICE_API_BROKER_ID

export interface ConnectOptions {
  name: string
  /** grpc-js target: "unix:/path" or "host:port". */
  target: string
  credentials: ChannelCredentials
  /** How the host serves broker services to this plugin. */
  brokerCredentials: ServerCredentials
  /** Private directory for broker sockets; loopback TCP when absent. */
  dir?: string
  /** For a Service API on TCP: the token every call must carry, sent to the plugin with Initialize. */
  serviceApiAccess?: ServiceApiAccess
  runtime: 'gateway' | 'studio'
  config: unknown
  scopes: readonly Scope[]
  /** Topic patterns granted for Publish and Subscribe; none when absent. */
  topics?: TopicPatterns
  /** The Service API implementation; none means the plugin gets no Service API. */
  serviceApi?: ServiceApiHandlers
  /** The plugin's Service API call rate; see `ServiceApiServerOptions.rateLimit`. */
  serviceApiRateLimit?: ServiceApiRateLimit | undefined
  logger: HostLogger
  /** Deadline for connecting and Initialize. */
  initializeTimeoutMs?: number
  hostInfo?: pb.HostInfo
  /**
   * The hook channel broke too often to be reopened (see {@link PluginConnection}):
   * the plugin is alive to gRPC but cannot take hook calls, so the owner should restart it.
   */
  onBroken?: (error: PlugboardError) => void
  /**
   * Only read the manifest and config schema (an install's first look): no
   * config or scope checks, no Service API, no Initialize, no hook channel.
   */
  describeOnly?: boolean
}

/** A hook channel that breaks this often within the window is not reopened again. */
const CHANNEL_BREAKS = { max: 3, windowMs: 10_000 }

/** What the plugin said about itself in Initialize. */
export interface PluginDescription {
  id: string
  name: string
  version: string
  capabilities: CapabilityName[]
  hookChannel: boolean
  endpoints: pb.EndpointSpec[]
  objectHooks: string[]
}

const UNARY_HOOK = {
  preAuth: 'preAuth',
  auth: 'auth',
  postAuth: 'postAuth',
  responseHeaders: 'responseHeaders',
  responseBody: 'responseBody',
  responseChunk: 'responseChunk',
  appByCredential: 'getAppByCredential',
  userByCredential: 'getUserByCredential',
} as const satisfies Record<HookCase, keyof typeof pb.PluginService>

type PluginDefinition = typeof pb.PluginService
export type PluginUnaryMethod = {
  [K in keyof PluginDefinition]: PluginDefinition[K]['requestStream'] extends false
    ? PluginDefinition[K]['responseStream'] extends false
      ? K
      : never
    : never
}[keyof PluginDefinition]
export type PluginStreamMethod = 'handleEndpoint' | 'handleAgentMessage'
export type PluginRequest<M extends PluginUnaryMethod | PluginStreamMethod> = ReturnType<PluginDefinition[M]['requestDeserialize']>
export type PluginResponse<M extends PluginUnaryMethod | PluginStreamMethod> = ReturnType<PluginDefinition[M]['responseDeserialize']>

/**
 * A live gRPC connection to one plugin (launched or remote): health, broker
 * with the Service API offered through it, manifest and config schema,
 * Initialize, the hook channel (or unary hooks for plugins without one) and
 * graceful shutdown.
 *
 * A hook channel that ends while the connection is open (the plugin's stream
 * failed, or it ended it) is reopened at once; its in-flight calls fail with
 * PLUGIN_UNAVAILABLE. After `CHANNEL_BREAKS.max` breaks within its window the
 * connection stops reopening it, is no longer `available`, and calls
 * `onBroken`.
 */
export class PluginConnection {
  readonly client: pb.PluginClient
  readonly #health: health.HealthClient
  readonly #controller: goplugin.GRPCControllerClient
  readonly #broker: HostBroker
  #channel: HookChannel | undefined
  #description!: PluginDescription
  #manifest: PluginManifest | undefined
  #configSchema: JsonSchema | undefined
  /** Bound to the Service API served to this connection; `setScopes` / `setTopics` swap its grants, read on every call. */
  readonly #caller: ServiceCaller
  /** Names this connection's session in onSessionReady and onSessionClosing. */
  readonly #sessionId = randomUUID()
  #closed = false
  #broken = false
  #channelBreaks: number[] = []
  /** Calls made and not yet settled, of every kind, and response streams not yet ended: a drain waits for them. */
  #inFlight = 0
  /** Response streams whose first chunk came here and whose end has not (see `holdsStream`). */
  readonly #streams = new Set<number>()
  readonly #idle: Array<() => void> = []

  private constructor(private readonly options: ConnectOptions) {
    const { target, credentials } = options
    this.client = new PluginClient(target, credentials, PLUGIN_CHANNEL_OPTIONS)
    const channelOverride = { channelOverride: this.client.getChannel() }
    this.#health = new health.HealthClient(target, credentials, channelOverride)
    this.#controller = new goplugin.GRPCControllerClient(target, credentials, channelOverride)
    this.#broker = new HostBroker(new goplugin.GRPCBrokerClient(target, credentials, channelOverride), options.logger)
    this.#caller = { plugin: options.name, scopes: new Set(options.scopes), topics: NO_TOPICS }
  }

  /**
   * Connects, reads the manifest and config schema, checks the config against
   * the schema (PLUGIN_CONFIG_INVALID) and the scopes against the manifest
   * (PLUGIN_SCOPES_INVALID), offers the Service API, calls Initialize and opens
   * the hook channel when the plugin serves one. The plugin sees no config and
   * no Service API before both checks pass.
   */
  static async open(options: ConnectOptions): Promise<PluginConnection> {
    const connection = new PluginConnection(options)
    try {
      await connection.#initialize()
      return connection
    } catch (error) {
      connection.close()
      throw error
    }
  }

  get description(): PluginDescription {
    return this.#description
  }

  /** The manifest the plugin served, if it serves one. */
  get manifest(): PluginManifest | undefined {
    return this.#manifest
  }

  /** The JSON Schema of the plugin's config, if it serves one. */
  get configSchema(): JsonSchema | undefined {
    return this.#configSchema
  }

  /** Open, and its hook channel (if it has one) can take calls. */
  get available(): boolean {
    return !this.#closed && !this.#broken && (this.#channel?.open ?? true)
  }

  /** Calls made on this connection and not yet settled, and response streams not yet ended. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Whether response stream `streamId` began here and has not ended: its chunks belong here. */
  holdsStream(streamId: number): boolean {
    return this.#streams.has(streamId)
  }

  /**
   * Changes the Service API scopes of this connection without reconnecting;
   * every Service API call checks the grant current when it arrives. Throws
   * PLUGIN_SCOPES_INVALID (and keeps the grant) unless each scope is known and
   * requested by the manifest.
   */
  setScopes(scopes: readonly string[]): void {
    this.#caller.scopes = new Set(validateScopes(this.options.name, this.#manifest, scopes))
  }

  /**
   * Changes the topic patterns of this connection without reconnecting, as
   * `setScopes` does; an open subscription the new grant no longer covers
   * ends at its next event with TOPIC_DENIED. Throws PLUGIN_TOPICS_INVALID
   * (and keeps the grant) unless the manifest covers each pattern.
   */
  setTopics(topics: TopicPatterns): void {
    this.#caller.topics = validateTopics(this.options.name, this.#manifest, topics)
  }

  /**
   * Tells a session-aware plugin its session is ready (after Initialize) or
   * closing (before Controller.Shutdown), waiting at most `timeoutMs`. A
   * plugin that does not declare session_aware is not called; a failure or
   * timeout is logged, never thrown: session hooks must not keep a plugin
   * from starting or stopping.
   */
  async notifySession(phase: 'ready' | 'closing', timeoutMs: number): Promise<void> {
    if (this.#closed || this.options.describeOnly || !this.#description?.capabilities.includes('session_aware')) return
    const method = phase === 'ready' ? 'onSessionReady' : 'onSessionClosing'
    try {
      await this.#unary(method, { sessionId: this.#sessionId }, { deadlineMs: timeoutMs })
    } catch (error) {
      this.options.logger.warn({ err: String(error), method, sessionId: this.#sessionId }, 'plugin session hook failed')
    }
  }

  /** Calls a hot-path hook: over the hook channel when the plugin serves one, else as a unary RPC. */
  async callHook<H extends HookCase>(hook: H, request: HookRequest<H>, options: HookCallOptions): Promise<HookResult<H>> {
    if (this.#closed) throw hostError('PLUGIN_UNAVAILABLE', `plugin "${this.options.name}" is not connected`)
    if (hook === 'responseChunk') this.#trackStream(request as HookRequest<'responseChunk'>)
    this.#inFlight++
    try {
      const result = this.#channel
        ? await this.#channel.call(hook, request, options)
        : ((await this.#unary(UNARY_HOOK[hook], request as never, options)) as HookResult<H>)
      if ((result as { result?: unknown }).result === undefined) {
        throw hostError('HOOK_INVALID_RESPONSE', `plugin "${this.options.name}" answered ${hook} without a result`)
      }
      return result
    } finally {
      this.#settled()
    }
  }

  /** Calls any unary Plugin RPC (off the hot path) with a deadline. */
  async call<M extends PluginUnaryMethod>(method: M, request: PluginRequest<M>, options: HookCallOptions): Promise<PluginResponse<M>> {
    this.#inFlight++
    try {
      return await this.#unary(method, request, options)
    } finally {
      this.#settled()
    }
  }

  /**
   * Resolves true once no call is in flight, or false after `timeoutMs` with
   * calls still running. For a drain: stop routing calls here first.
   */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      timer.unref()
      this.#idle.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  /** A response stream counts as in flight from its first chunk to its end. */
  #trackStream({ streamId, endOfStream }: HookRequest<'responseChunk'>): void {
    if (!streamId) return
    if (endOfStream) {
      if (this.#streams.delete(streamId)) this.#settled()
    } else if (!this.#streams.has(streamId)) {
      this.#streams.add(streamId)
      this.#inFlight++
    }
  }

  #settled(): void {
    if (--this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake()
  }

  #unary<M extends PluginUnaryMethod>(method: M, request: PluginRequest<M>, options: HookCallOptions): Promise<PluginResponse<M>> {
    return callUnary(this.client, method as never, request as never, {
      signal: options.signal,
      deadline: new Date(Date.now() + options.deadlineMs),
      errorCode: 'HOOK_FAILED',
    }).catch((error: unknown) => {
      throw this.#callError(String(method), options.deadlineMs, error)
    }) as never
  }

  /**
   * Calls a server-streaming Plugin RPC (custom endpoints, agents) and yields
   * its messages. Aborting `signal` cancels the call; a failure becomes a
   * PlugboardError with the plugin's code when it sent one.
   */
  async *stream<M extends PluginStreamMethod>(method: M, request: PluginRequest<M>, options: { signal?: AbortSignal }): AsyncIterable<PluginResponse<M>> {
    const call = (this.client[method] as (request: PluginRequest<M>) => ClientReadableStream<PluginResponse<M>>).call(this.client, request)
    const onAbort = () => call.cancel()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    this.#inFlight++
    try {
      for await (const message of call) yield message as PluginResponse<M>
    } catch (error) {
      throw fromGrpcError(error, 'HOOK_FAILED')
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      call.cancel()
      this.#settled()
    }
  }

  /** True when the plugin's health service reports SERVING within `timeoutMs`. */
  async healthy(timeoutMs: number): Promise<boolean> {
    try {
      const response = await callUnary(this.#health, 'check', { service: 'plugin' }, { deadline: new Date(Date.now() + timeoutMs), errorCode: 'PLUGIN_UNAVAILABLE' })
      return response.status === health.HealthCheckResponse_ServingStatus.SERVING
    } catch {
      return false
    }
  }

  /** Asks the plugin to exit (go-plugin's Controller.Shutdown); resolves once it answered or `timeoutMs` passed. */
  async requestShutdown(timeoutMs: number): Promise<void> {
    try {
      await callUnary(this.#controller, 'shutdown', {}, { deadline: new Date(Date.now() + timeoutMs), errorCode: 'PLUGIN_UNAVAILABLE' })
    } catch (error) {
      this.options.logger.debug({ err: String(error) }, 'plugin did not acknowledge shutdown')
    }
  }

  /** Closes the channel, broker and connection; pending hook calls fail with `reason`. Safe to call more than once. */
  close(reason?: PlugboardError): void {
    if (this.#closed) return
    this.#closed = true
    // Nothing more can finish here: a drain waiting for it is over.
    for (const wake of this.#idle.splice(0)) wake()
    this.#channel?.close(reason)
    this.#broker.close()
    this.client.close()
  }

  async #initialize(): Promise<void> {
    const { options } = this
    const timeoutMs = options.initializeTimeoutMs ?? 30_000
    const deadline = new Date(Date.now() + timeoutMs)
    await new Promise<void>((resolve, reject) =>
      this.client.waitForReady(deadline, (error) =>
        error ? reject(hostError('PLUGIN_CONNECT_FAILED', `could not connect to plugin "${options.name}" at ${options.target}: ${error.message}`, error)) : resolve(),
      ),
    )
    const described = await readSelfDescription(this.client, options.name, deadline)
    this.#manifest = described.manifest
    this.#configSchema = described.configSchema
    if (options.describeOnly) {
      this.#description = describedBy(described.manifest)
      return
    }
    validateConfig(options.name, described.configSchema, options.config)
    validateScopes(options.name, described.manifest, options.scopes)
    this.#caller.topics = validateTopics(options.name, described.manifest, options.topics)
    let serviceApiBrokerId = 0
    if (options.serviceApi) {
      serviceApiBrokerId = nextServiceApiBrokerId++
      await this.#broker.offer(serviceApiBrokerId, {
        dir: options.dir,
        credentials: options.brokerCredentials,
        register: (server) =>
          server.addService(ServiceApiService, serviceApiImplementation(options.serviceApi!, this.#caller, options.logger, { token: options.serviceApiAccess?.token, ...(options.serviceApiRateLimit && { rateLimit: options.serviceApiRateLimit }) })),
      })
    }
    let response: pb.InitializeResponse
    try {
      response = await callUnary(
        this.client,
        'initialize',
        {
          configJson: Buffer.from(JSON.stringify(options.config ?? null)),
          runtime: options.runtime === 'studio' ? pb.Runtime.RUNTIME_STUDIO : pb.Runtime.RUNTIME_GATEWAY,
          serviceApiBrokerId,
          host: options.hostInfo ?? { name: 'plugboard', version: '0.1.0', instanceId: String(process.pid) },
          pluginName: options.name,
        },
        {
          deadline,
          errorCode: 'PLUGIN_INITIALIZE_FAILED',
          metadata: options.serviceApiAccess ? writeServiceApiAccess(new Metadata(), options.serviceApiAccess) : undefined,
        },
      )
    } catch (error) {
      const message = isPlugboardError(error) ? error.message : String(error)
      throw hostError('PLUGIN_INITIALIZE_FAILED', `plugin "${options.name}" refused Initialize: ${message}`, error)
    }
    this.#description = {
      id: response.id,
      name: response.name,
      version: response.version,
      capabilities: response.capabilities.map(capabilityName).filter((name): name is CapabilityName => name !== undefined),
      hookChannel: response.hookChannel,
      endpoints: response.endpoints,
      objectHooks: response.objectHooks,
    }
    if (response.hookChannel) this.#channel = this.#openChannel()
  }

  /** The hook channel's stream carries frames the HookChannel encoded itself, within the frame limit. */
  #openChannel(): HookChannel {
    const { path, responseDeserialize } = PluginService.hookChannel
    const stream = this.client.makeBidiStreamRequest(path, (frame: Buffer) => frame, responseDeserialize)
    return new HookChannel(stream, this.options.name, { onBroken: (error) => this.#channelBroke(error) })
  }

  #channelBroke(error: PlugboardError): void {
    if (this.#closed) return
    const now = Date.now()
    this.#channelBreaks = [...this.#channelBreaks.filter((at) => now - at < CHANNEL_BREAKS.windowMs), now]
    if (this.#channelBreaks.length >= CHANNEL_BREAKS.max) {
      this.#broken = true
      this.options.logger.error({ err: error.message, breaks: this.#channelBreaks.length }, 'hook channel keeps breaking; giving up on this connection')
      this.options.onBroken?.(error)
      return
    }
    this.options.logger.warn({ err: error.message }, 'hook channel broke; reopening it')
    this.#channel = this.#openChannel()
  }

  #callError(method: string, deadlineMs: number, error: unknown): Error {
    if (!isPlugboardError(error)) return hostError('HOOK_FAILED', String(error), error)
    const grpcCode = (error.cause as { code?: number } | undefined)?.code
    if (grpcCode === 4) return hostError('HOOK_DEADLINE_EXCEEDED', `plugin "${this.options.name}" did not answer ${method} within ${deadlineMs} ms`, error)
    if (grpcCode === 1) return hostError('HOOK_CANCELLED', `${method} call to plugin "${this.options.name}" was cancelled`, error)
    if (grpcCode === 14) return hostError('PLUGIN_UNAVAILABLE', `plugin "${this.options.name}" is unreachable: ${error.message}`, error)
    if (grpcCode === 8) return hostError('HOOK_MESSAGE_TOO_LARGE', `${method} call to plugin "${this.options.name}" exceeded the message size limit: ${error.message}`, error)
    if (grpcCode === 13 && /deserializ|parse/i.test(error.message)) {
      return hostError('HOOK_INVALID_RESPONSE', `plugin "${this.options.name}" sent a malformed ${method} response: ${error.message}`, error)
    }
    return error
  }
}

/** What a manifest says a plugin is, before Initialize has been called. */
function describedBy(manifest: PluginManifest | undefined): PluginDescription {
  const capabilities = Array.isArray(manifest?.capabilities) ? (manifest.capabilities as CapabilityName[]) : []
  const objectHooks = Array.isArray(manifest?.objectHooks) ? (manifest.objectHooks as string[]) : []
  return { id: manifest?.id ?? '', name: manifest?.name ?? '', version: manifest?.version ?? '', capabilities, hookChannel: false, endpoints: [], objectHooks }
}
