import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Server, status as GrpcStatus, type ServerDuplexStream, type ServerWritableStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js'
import {
  BrokerTable,
  HANDSHAKE,
  PLUGIN_CHANNEL_OPTIONS,
  PLUGIN_ENV,
  PluginService,
  brokerTarget,
  formatHandshakeLine,
  generateTlsIdentity,
  goplugin,
  health,
  mtlsChannelCredentials,
  mtlsServerCredentials,
  negotiateAppVersion,
  pluginv1 as pb,
  toGrpcError,
  type TlsIdentity,
} from '@plugboard/proto'
import type { PluginContext } from './context.js'
import { parseJson } from './convert.js'
import { CallControl } from './call-control.js'
import { createPluginHandlers, type CallInfo, type PluginHandlers } from './handlers.js'
import { serveHookChannel } from './hook-channel.js'
import { grpcServiceTransport } from './grpc-transport.js'
import { createLineLogger } from './logger.js'
import type { BasePlugin } from './plugin.js'
import { detectRuntime } from './runtime.js'
import { createServices, unavailableTransport } from './services.js'

export interface ServeOptions {
  /** Environment to read the launch protocol from; defaults to process.env. */
  env?: NodeJS.ProcessEnv
  /** How long to wait for the host to announce the Service API over the broker. */
  brokerTimeoutMs?: number
}

const SUPPORTED_APP_VERSIONS = [HANDSHAKE.appProtocolVersion]

function refuse(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

/**
 * Runs `plugin` as a plugin process: checks it was launched by a host, serves
 * gRPC on a Unix socket (with mTLS when the host offers it), prints the
 * handshake line and answers until the host shuts it down. Never returns
 * normally; the process exits on shutdown.
 *
 * @example
 * serve(new MyPlugin())
 */
export async function serve(plugin: BasePlugin, options: ServeOptions = {}): Promise<void> {
  const env = options.env ?? process.env
  if (env[HANDSHAKE.magicCookieKey] !== HANDSHAKE.magicCookieValue) {
    refuse(
      `This is a Plugboard plugin ("${plugin.manifest.name}"). It must be launched by a Plugboard host ` +
        '(the gateway or Studio), not run by hand: add it to the host configuration as a file:// plugin.\n' +
        `(Hosts set ${HANDSHAKE.magicCookieKey}=${HANDSHAKE.magicCookieValue}; this process did not receive it.)`,
    )
  }
  const appVersion = negotiateAppVersion(env[PLUGIN_ENV.protocolVersions], SUPPORTED_APP_VERSIONS)
  if (appVersion === undefined) {
    refuse(
      `Plugin "${plugin.manifest.name}" supports app protocol ${SUPPORTED_APP_VERSIONS.join(', ')} but the host offered ` +
        `${env[PLUGIN_ENV.protocolVersions]}; upgrade the plugin SDK or the host.`,
    )
  }

  const log = createLineLogger((line) => process.stderr.write(line))
  const hostCertPem = env[PLUGIN_ENV.clientCert]
  const identity = hostCertPem ? await generateTlsIdentity() : undefined
  const brokerTable = new BrokerTable()

  let context: PluginContext = {
    runtime: detectRuntime(env) ?? 'gateway',
    config: null,
    pluginName: env[PLUGIN_ENV.pluginName] ?? plugin.manifest.id,
    services: createServices(unavailableTransport('the plugin is not initialized yet'), log),
    log,
  }
  const handlers = createPluginHandlers(plugin, () => context)
  const server = new Server(PLUGIN_CHANNEL_OPTIONS)

  let shuttingDown = false
  const shutdown = async (exitCode: number) => {
    if (shuttingDown) return
    shuttingDown = true
    try {
      // A plugin that never finishes shutting down must not keep the process alive.
      await Promise.race([plugin.shutdown?.(), new Promise((resolve) => setTimeout(resolve, 5000).unref())])
    } catch (error) {
      log.error('plugin shutdown failed', { error: String(error) })
    }
    server.tryShutdown(() => process.exit(exitCode))
    setTimeout(() => process.exit(exitCode), 2000).unref()
  }
  process.once('SIGTERM', () => void shutdown(0))
  process.once('SIGINT', () => void shutdown(0))
  // A host that dies without shutting its plugins down must not leave them running.
  const parent = process.ppid
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0)
  }, 1000).unref()

  server.addService(health.HealthService, {
    check: (_call: ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>, callback: sendUnaryData<health.HealthCheckResponse>) =>
      callback(null, { status: health.HealthCheckResponse_ServingStatus.SERVING }),
    watch: (call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>) =>
      call.write({ status: health.HealthCheckResponse_ServingStatus.SERVING }),
  })
  server.addService(goplugin.GRPCControllerService, {
    shutdown: (_call: ServerUnaryCall<goplugin.Empty, goplugin.Empty>, callback: sendUnaryData<goplugin.Empty>) => {
      callback(null, {})
      setImmediate(() => void shutdown(0))
    },
  })
  server.addService(goplugin.GRPCBrokerService, {
    startStream: (stream: ServerDuplexStream<goplugin.ConnInfo, goplugin.ConnInfo>) => {
      stream.on('data', (info: goplugin.ConnInfo) => brokerTable.received(info))
      stream.on('error', () => undefined)
      stream.on('end', () => stream.end())
    },
  })
  server.addService(goplugin.GRPCStdioService, {
    // Output goes to the process pipes, which a local host reads; the stream stays open and quiet.
    streamStdio: (stream: ServerWritableStream<unknown, goplugin.StdioData>) => stream.on('cancelled', () => stream.end()),
  })
  // The hook channel writes frames it encoded itself (see serveHookChannel); its serializer passes them through.
  const definition = { ...PluginService, hookChannel: { ...PluginService.hookChannel, responseSerialize: (frame: Buffer) => frame } }
  server.addService(definition, pluginService(handlers, async (request) => {
    const runtime = request.runtime === pb.Runtime.RUNTIME_STUDIO ? 'studio' : 'gateway'
    const transport =
      request.serviceApiBrokerId === 0
        ? unavailableTransport('the host offered no Service API')
        : grpcServiceTransport(
            brokerTarget(await brokerTable.waitFor(request.serviceApiBrokerId, options.brokerTimeoutMs ?? 10_000)),
            mtlsChannelCredentials(identity, hostCertPem),
          )
    context = {
      runtime,
      config: parseJson(request.configJson),
      pluginName: request.pluginName || context.pluginName,
      services: createServices(transport, log),
      log,
    }
    await plugin.initialize?.(context)
  }))

  const dir = env[PLUGIN_ENV.unixSocketDir] || tmpdir()
  const socketPath = join(dir, `plugin-${process.pid}-${randomBytes(3).toString('hex')}.sock`)
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, mtlsServerCredentials(identity, hostCertPem), (error) => (error ? reject(error) : resolve())),
  )
  process.stdout.write(
    `${formatHandshakeLine({
      coreProtocolVersion: HANDSHAKE.coreProtocolVersion,
      appProtocolVersion: appVersion,
      network: 'unix',
      address: socketPath,
      serverCertDer: (identity as TlsIdentity | undefined)?.certDer,
    })}\n`,
  )
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void

/** Adapts a handler to a grpc-js unary method: cancellation and deadline become the call's signal, errors keep their code. */
function unary<Req, Res>(handler: (request: Req, call: CallInfo) => Promise<Res> | Res): Unary<Req, Res> {
  return (call, callback) => {
    const deadline = Number(call.getDeadline())
    const control = new CallControl(call.request, Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : 0)
    const onCancelled = () => control.cancel()
    call.once('cancelled', onCancelled)
    Promise.resolve()
      .then(() => handler(call.request, control))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toGrpcError(error, GrpcStatus.UNKNOWN)),
      )
      .finally(() => {
        control.done()
        call.off('cancelled', onCancelled)
      })
  }
}

function serverStream<Req, Res>(handler: (request: Req, call: CallInfo) => AsyncIterable<Res>) {
  return async (call: ServerWritableStream<Req, Res>) => {
    const control = new CallControl(call.request, 0)
    call.once('cancelled', () => control.cancel())
    try {
      for await (const item of handler(call.request, control)) {
        if (control.cancelled) break
        if (!call.write(item)) await new Promise((resolve) => call.once('drain', resolve))
      }
      call.end()
    } catch (error) {
      call.emit('error', toGrpcError(error))
    }
  }
}

function pluginService(handlers: PluginHandlers, initialize: (request: pb.InitializeRequest) => Promise<void>) {
  return {
    initialize: unary<pb.InitializeRequest, pb.InitializeResponse>(async (request) => {
      await initialize(request)
      return { ...handlers.describe(), hookChannel: true }
    }),
    getManifest: unary(() => handlers.manifest()),
    getConfigSchema: unary(() => handlers.configSchema()),
    hookChannel: (stream: ServerDuplexStream<pb.HookFrame, Buffer>) => serveHookChannel(stream, handlers),
    preAuth: unary(handlers.preAuth),
    auth: unary(handlers.auth),
    getAppByCredential: unary(handlers.appByCredential),
    getUserByCredential: unary(handlers.userByCredential),
    postAuth: unary(handlers.postAuth),
    responseHeaders: unary(handlers.responseHeaders),
    responseBody: unary(handlers.responseBody),
    responseChunk: unary(handlers.responseChunk),
    streamComplete: unary(handlers.streamComplete),
    collectData: unary(handlers.collectData),
    handleEndpoint: serverStream(handlers.handleEndpoint),
    objectHook: unary(handlers.objectHook),
    handleAgentMessage: serverStream(handlers.handleAgentMessage),
    serveAsset: unary(handlers.serveAsset),
    handleUiRpc: unary(handlers.handleUiRpc),
    handlePortalRpc: unary(handlers.handlePortalRpc),
    runScheduledTask: unary(handlers.runScheduledTask),
    receiveEdgePayload: unary(handlers.receiveEdgePayload),
    onSessionReady: unary(handlers.onSessionReady),
    onSessionClosing: unary(handlers.onSessionClosing),
  }
}
