import { Metadata, type ChannelCredentials, type ClientReadableStream, type ServerCredentials } from '@grpc/grpc-js'
import {
  PLUGIN_CHANNEL_OPTIONS,
  PluginClient,
  callUnary,
  capabilityName,
  fromGrpcError,
  goplugin,
  health,
  isPlugboardError,
  pluginv1 as pb,
  type PlugboardError,
  servicev1,
  writeServiceApiAccess,
  type CapabilityName,
  type ServiceApiAccess,
  type Scope,
  type ServiceApiHandlers,
} from '@plugboard/proto'
import { hostError } from './errors.js'
import { HostBroker } from './broker.js'
import { HookChannel, type HookCallOptions, type HookCase, type HookRequest, type HookResult } from './hook-channel.js'
import type { HostLogger } from './logger.js'
import { serviceApiImplementation } from './service-api-server.js'

/** Broker id under which the host offers the Service API. */
export const SERVICE_API_BROKER_ID = 1

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
  /** The Service API implementation; none means the plugin gets no Service API. */
  serviceApi?: ServiceApiHandlers
  logger: HostLogger
  /** Deadline for connecting and Initialize. */
  initializeTimeoutMs?: number
  hostInfo?: pb.HostInfo
}

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
 * with the Service API offered through it, Initialize, the hook channel (or
 * unary hooks for plugins without one) and graceful shutdown.
 */
export class PluginConnection {
  readonly client: pb.PluginClient
  readonly #health: health.HealthClient
  readonly #controller: goplugin.GRPCControllerClient
  readonly #broker: HostBroker
  #channel: HookChannel | undefined
  #description!: PluginDescription
  #closed = false

  private constructor(private readonly options: ConnectOptions) {
    const { target, credentials } = options
    this.client = new PluginClient(target, credentials, PLUGIN_CHANNEL_OPTIONS)
    const channelOverride = { channelOverride: this.client.getChannel() }
    this.#health = new health.HealthClient(target, credentials, channelOverride)
    this.#controller = new goplugin.GRPCControllerClient(target, credentials, channelOverride)
    this.#broker = new HostBroker(new goplugin.GRPCBrokerClient(target, credentials, channelOverride), options.logger)
  }

  /** Connects, offers the Service API, calls Initialize and opens the hook channel when the plugin serves one. */
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

  /** Calls a hot-path hook: over the hook channel when the plugin serves one, else as a unary RPC. */
  async callHook<H extends HookCase>(hook: H, request: HookRequest<H>, options: HookCallOptions): Promise<HookResult<H>> {
    if (this.#closed) throw hostError('PLUGIN_UNAVAILABLE', `plugin "${this.options.name}" is not connected`)
    const result = this.#channel
      ? await this.#channel.call(hook, request, options)
      : ((await this.call(UNARY_HOOK[hook], request as never, options)) as HookResult<H>)
    if ((result as { result?: unknown }).result === undefined) {
      throw hostError('HOOK_INVALID_RESPONSE', `plugin "${this.options.name}" answered ${hook} without a result`)
    }
    return result
  }

  /** Calls any unary Plugin RPC (off the hot path) with a deadline. */
  call<M extends PluginUnaryMethod>(method: M, request: PluginRequest<M>, options: HookCallOptions): Promise<PluginResponse<M>> {
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
    try {
      for await (const message of call) yield message as PluginResponse<M>
    } catch (error) {
      throw fromGrpcError(error, 'HOOK_FAILED')
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      call.cancel()
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
    let serviceApiBrokerId = 0
    if (options.serviceApi) {
      const caller = { plugin: options.name, scopes: new Set(options.scopes) }
      await this.#broker.offer(SERVICE_API_BROKER_ID, {
        dir: options.dir,
        credentials: options.brokerCredentials,
        register: (server) => server.addService(servicev1.ServiceApiService, serviceApiImplementation(options.serviceApi!, caller, options.logger, { token: options.serviceApiAccess?.token })),
      })
      serviceApiBrokerId = SERVICE_API_BROKER_ID
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
    if (response.hookChannel) this.#channel = new HookChannel(this.client.hookChannel(), options.name)
  }

  #callError(method: string, deadlineMs: number, error: unknown): Error {
    if (!isPlugboardError(error)) return hostError('HOOK_FAILED', String(error), error)
    const grpcCode = (error.cause as { code?: number } | undefined)?.code
    if (grpcCode === 4) return hostError('HOOK_DEADLINE_EXCEEDED', `plugin "${this.options.name}" did not answer ${method} within ${deadlineMs} ms`, error)
    if (grpcCode === 1) return hostError('HOOK_CANCELLED', `${method} call to plugin "${this.options.name}" was cancelled`, error)
    if (grpcCode === 14) return hostError('PLUGIN_UNAVAILABLE', `plugin "${this.options.name}" is unreachable: ${error.message}`, error)
    if (grpcCode === 13 && /deserializ|parse/i.test(error.message)) {
      return hostError('HOOK_INVALID_RESPONSE', `plugin "${this.options.name}" sent a malformed ${method} response: ${error.message}`, error)
    }
    return error
  }
}
