import { CAPABILITY_NAMES, PlugboardError, isPlugboardError, pluginv1 as pb, type CapabilityName } from '@plugboard/proto'
import type {
  Agent,
  AuthProvider,
  ConfigProvider,
  CustomEndpoints,
  DataCollector,
  EdgePayloadReceiver,
  ObjectHooks,
  PortalUi,
  PostAuthHook,
  PreAuthHook,
  ResponseHook,
  ScheduledTasks,
  SessionAware,
  StreamCompleteHook,
  UiProvider,
} from './capabilities.js'
import type { HookContext, PluginContext } from './context.js'
import type { Logger } from './logger.js'
import {
  agentChunkToProto,
  authResultToProto,
  bodyResultToProto,
  chunkResultToProto,
  encodeBody,
  headersResultToProto,
  objectResultToProto,
  parseJson,
  requestResultToProto,
} from './convert.js'
import type { BasePlugin } from './plugin.js'
import type { AgentResource, JsonValue, ObjectEvent, ObjectType } from './types.js'

/** Any plugin: the base class plus whichever capabilities it implements. */
type AnyPlugin = BasePlugin &
  Partial<
    PreAuthHook &
      AuthProvider &
      PostAuthHook &
      ResponseHook &
      StreamCompleteHook &
      DataCollector &
      CustomEndpoints &
      ObjectHooks &
      Agent &
      UiProvider &
      PortalUi &
      ConfigProvider &
      ScheduledTasks &
      EdgePayloadReceiver &
      SessionAware
  >

export type HandlerErrorCode = 'HOOK_NOT_IMPLEMENTED' | 'HOOK_FAILED' | 'HOOK_STREAM_UNKNOWN' | 'PLUGIN_NOT_INITIALIZED'

/** Per-call facts the transport knows: cancellation and the request it belongs to. */
export interface CallInfo {
  signal: AbortSignal
  requestId: string
}

/** The request id a hook request carries, directly or in its context; "" when it has none. */
export function requestIdOf(request: unknown): string {
  const value = request as { requestId?: string; context?: { requestId?: string } }
  return value.requestId || value.context?.requestId || ''
}

/** Which capabilities a plugin object implements, judged by the methods it has. */
export function detectCapabilities(plugin: BasePlugin): CapabilityName[] {
  const p = plugin as AnyPlugin
  const has: Record<CapabilityName, boolean> = {
    pre_auth: typeof p.preAuth === 'function',
    auth: typeof p.authenticate === 'function',
    post_auth: typeof p.postAuth === 'function',
    response: [p.onResponseHeaders, p.onResponseBody, p.onResponseChunk].some((m) => typeof m === 'function'),
    stream_complete: typeof p.onStreamComplete === 'function',
    data_collection: typeof p.collect === 'function',
    custom_endpoints: typeof p.handleEndpoint === 'function',
    object_hooks: typeof p.onObjectEvent === 'function',
    agent: typeof p.handleMessage === 'function',
    ui_provider: typeof p.serveAsset === 'function' || typeof p.handleUiRpc === 'function',
    portal_ui: typeof p.handlePortalRpc === 'function',
    config_provider: typeof p.configSchema === 'function',
    manifest_provider: true,
    scheduler: typeof p.runScheduledTask === 'function',
    edge_payload_receiver: typeof p.receiveEdgePayload === 'function',
    session_aware: typeof p.onSessionReady === 'function',
    response_headers: typeof p.onResponseHeaders === 'function',
    response_body: typeof p.onResponseBody === 'function',
    response_chunks: typeof p.onResponseChunk === 'function',
  }
  return (Object.keys(has) as CapabilityName[]).filter((name) => has[name])
}

function notImplemented(plugin: BasePlugin, what: string): PlugboardError<HandlerErrorCode> {
  return new PlugboardError<HandlerErrorCode>(
    'HOOK_NOT_IMPLEMENTED',
    `plugin "${plugin.manifest.id}" does not implement ${what}; the host called a capability the plugin did not declare`,
  )
}

/**
 * The HookContext of one call. Built per call, so kept cheap: the signal and
 * the request's child logger are made only when used, by getters on the
 * prototype (an object literal with getters made two closures per call).
 */
class CallHookContext implements HookContext {
  readonly runtime: HookContext['runtime']
  readonly config: HookContext['config']
  readonly pluginName: string
  readonly services: HookContext['services']
  readonly requestId: string
  readonly #base: PluginContext
  readonly #call: CallInfo
  #log: Logger | undefined

  constructor(base: PluginContext, call: CallInfo) {
    this.runtime = base.runtime
    this.config = base.config
    this.pluginName = base.pluginName
    this.services = base.services
    this.requestId = call.requestId
    this.#base = base
    this.#call = call
  }

  get signal(): AbortSignal {
    return this.#call.signal
  }

  get log(): Logger {
    return (this.#log ??= this.requestId ? this.#base.log.child({ requestId: this.requestId }) : this.#base.log)
  }
}

/** Wraps anything a plugin throws so the host receives a stable code. */
export function toHookError(error: unknown): pb.HookError {
  if (isPlugboardError(error)) return { code: error.code, message: error.message }
  return { code: 'HOOK_FAILED', message: error instanceof Error ? error.message : String(error) }
}

/**
 * One function per Plugin RPC, in protobuf terms, bound to a plugin object.
 * The gRPC server, the hook channel and `@plugboard/sdk/testing` all call
 * plugins through these, so tests exercise the same conversions as production.
 */
export function createPluginHandlers(plugin: BasePlugin, context: () => PluginContext) {
  const p = plugin as AnyPlugin
  const hookContext = (call: CallInfo): HookContext => new CallHookContext(context(), call)
  const require = <T>(method: T | undefined, what: string): T => {
    if (typeof method !== 'function') throw notImplemented(plugin, what)
    return (method as (...args: never[]) => unknown).bind(plugin) as T
  }

  return {
    manifest(): pb.JsonDocument {
      const manifest = { ...plugin.manifest }
      manifest.capabilities ??= detectCapabilities(plugin)
      if (typeof p.endpoints === 'function') manifest.endpoints ??= p.endpoints()
      if (typeof p.configSchema === 'function') manifest.configSchema ??= p.configSchema()
      // What an install shows an admin to grant, before the plugin is initialized.
      if (typeof p.objectHooks === 'function') manifest.objectHooks ??= p.objectHooks()
      return { json: encodeBody(manifest as unknown as JsonValue) }
    },
    configSchema(): pb.JsonDocument {
      return { json: encodeBody(typeof p.configSchema === 'function' ? p.configSchema() : {}) }
    },
    describe(): Omit<pb.InitializeResponse, 'hookChannel'> {
      return {
        id: plugin.manifest.id,
        name: plugin.manifest.name,
        version: plugin.manifest.version,
        capabilities: detectCapabilities(plugin).map((name) => CAPABILITY_NAMES[name]),
        endpoints: typeof p.endpoints === 'function' ? p.endpoints().map((e) => ({ ...e, streaming: e.streaming ?? false })) : [],
        objectHooks: typeof p.objectHooks === 'function' ? p.objectHooks() : [],
      }
    },

    async preAuth(request: pb.PreAuthRequest, call: CallInfo): Promise<pb.RequestHookResult> {
      const result = await require(p.preAuth, 'pre-auth')({ requestId: request.requestId, request: request.request! }, hookContext(call))
      return requestResultToProto('preAuth', result)
    },
    async auth(request: pb.AuthRequest, call: CallInfo): Promise<pb.AuthResult> {
      const result = await require(p.authenticate, 'auth')(
        { requestId: request.requestId, request: request.request!, credential: request.credential },
        hookContext(call),
      )
      return authResultToProto('authenticate', result)
    },
    async appByCredential(request: pb.CredentialRequest, call: CallInfo): Promise<pb.AuthResult> {
      return authResultToProto('getAppByCredential', await require(p.getAppByCredential, 'getAppByCredential')(request.credential, hookContext(call)))
    },
    async userByCredential(request: pb.CredentialRequest, call: CallInfo): Promise<pb.AuthResult> {
      return authResultToProto('getUserByCredential', await require(p.getUserByCredential, 'getUserByCredential')(request.credential, hookContext(call)))
    },
    async postAuth(request: pb.PostAuthRequest, call: CallInfo): Promise<pb.RequestHookResult> {
      const result = await require(p.postAuth, 'post-auth')({ request: request.request!, context: request.context! }, hookContext(call))
      return requestResultToProto('postAuth', result)
    },
    async responseHeaders(request: pb.ResponseHeadersRequest, call: CallInfo): Promise<pb.ResponseHeadersResult> {
      if (typeof p.onResponseHeaders !== 'function') return { result: { $case: 'pass', value: {} } }
      const result = await p.onResponseHeaders({ context: request.context!, status: request.status, headers: request.headers }, hookContext(call))
      return headersResultToProto('onResponseHeaders', result)
    },
    async responseBody(request: pb.ResponseBodyRequest, call: CallInfo): Promise<pb.ResponseBodyResult> {
      if (typeof p.onResponseBody !== 'function') return { result: { $case: 'pass', value: {} } }
      const result = await p.onResponseBody(
        { context: request.context!, status: request.status, headers: request.headers, body: request.body },
        hookContext(call),
      )
      return bodyResultToProto('onResponseBody', result)
    },
    async responseChunk(request: pb.ResponseChunkRequest, call: CallInfo): Promise<pb.ResponseChunkResult> {
      if (typeof p.onResponseChunk !== 'function') return { result: { $case: 'pass', value: {} } }
      if (!request.context) {
        throw new PlugboardError<HandlerErrorCode>(
          'HOOK_STREAM_UNKNOWN',
          `response chunk ${request.index} of stream ${request.streamId} came without its request context, which the host sends with a stream's first chunk on a hook channel`,
        )
      }
      const { context, index, data, endOfStream, aborted } = request
      const result = await p.onResponseChunk({ context, index, data, endOfStream, aborted }, hookContext(call))
      return chunkResultToProto('onResponseChunk', result)
    },

    async streamComplete(request: pb.StreamCompleteRequest, call: CallInfo): Promise<pb.Empty> {
      await require(p.onStreamComplete, 'stream-complete')(
        { context: request.context!, status: request.status, body: request.body, usage: request.usage, aborted: request.aborted },
        hookContext(call),
      )
      return {}
    },
    async collectData(batch: pb.DataBatch, call: CallInfo): Promise<pb.Empty> {
      await require(p.collect, 'data collection')(batch, hookContext(call))
      return {}
    },
    async *handleEndpoint(request: pb.EndpointRequest, call: CallInfo): AsyncIterable<pb.EndpointResponseFrame> {
      const response = await require(p.handleEndpoint, 'custom endpoints')(
        {
          requestId: request.requestId,
          endpoint: request.endpoint!,
          request: request.request!,
          params: request.params,
          auth: request.auth ? { app: request.auth.app, user: request.auth.user } : undefined,
        },
        hookContext(call),
      )
      const headers = { ...response.headers }
      const isStream = 'stream' in response
      if (!isStream && response.body !== undefined && !(response.body instanceof Uint8Array) && typeof response.body !== 'string') {
        headers['content-type'] ??= 'application/json'
      }
      yield { frame: { $case: 'start', value: { status: response.status ?? 200, headers } } }
      if (isStream) {
        for await (const chunk of response.stream) {
          if (call.signal.aborted) return
          yield { frame: { $case: 'chunk', value: encodeBody(chunk) } }
        }
      } else if (response.body !== undefined) {
        yield { frame: { $case: 'chunk', value: encodeBody(response.body) } }
      }
    },
    async objectHook(request: pb.ObjectHookRequest, call: CallInfo): Promise<pb.ObjectHookResult> {
      const result = await require(p.onObjectEvent, 'object hooks')(
        {
          objectType: request.objectType as ObjectType,
          event: request.event as ObjectEvent,
          object: parseJson(request.objectJson),
          previous: request.previousJson.length ? parseJson(request.previousJson) : undefined,
          actor: request.actor,
        },
        hookContext(call),
      )
      return objectResultToProto('onObjectEvent', result)
    },
    async *handleAgentMessage(request: pb.AgentRequest, call: CallInfo): AsyncIterable<pb.AgentChunk> {
      const chunks = require(p.handleMessage, 'agent')(
        {
          sessionId: request.sessionId,
          message: request.message ?? { role: 'user', content: '' },
          history: request.history,
          resources: request.resources as AgentResource[],
          config: parseJson(request.configJson),
          user: request.user,
        },
        hookContext(call),
      )
      try {
        for await (const chunk of chunks) {
          if (call.signal.aborted) return
          yield agentChunkToProto(chunk)
        }
      } catch (error) {
        yield { chunk: { $case: 'error', value: toHookError(error) } }
      }
    },
    async serveAsset(request: pb.AssetRequest, call: CallInfo): Promise<pb.AssetResponse> {
      const asset = await require(p.serveAsset, 'UI assets')(request.path, hookContext(call))
      if (!asset) return { status: 404, contentType: 'text/plain', body: Buffer.from('not found') }
      return { status: asset.status ?? 200, contentType: asset.contentType, body: encodeBody(asset.body) }
    },
    async handleUiRpc(request: pb.UiRpcRequest, call: CallInfo): Promise<pb.UiRpcResponse> {
      return rpcResponse(() =>
        require(p.handleUiRpc, 'UI RPC')({ method: request.method, payload: parseJson(request.payloadJson), user: request.user }, hookContext(call)),
      )
    },
    async handlePortalRpc(request: pb.UiRpcRequest, call: CallInfo): Promise<pb.UiRpcResponse> {
      return rpcResponse(() =>
        require(p.handlePortalRpc, 'portal RPC')({ method: request.method, payload: parseJson(request.payloadJson), user: request.user, groups: request.groups }, hookContext(call)),
      )
    },
    async runScheduledTask(request: pb.ScheduledTaskRequest, call: CallInfo): Promise<pb.ScheduledTaskResult> {
      const output = await require(p.runScheduledTask, 'scheduled tasks')(
        { scheduleId: request.scheduleId, runId: request.runId, config: parseJson(request.configJson), scheduledAt: new Date(request.scheduledAtMs) },
        hookContext(call),
      )
      return { outputJson: output === undefined ? Buffer.alloc(0) : encodeBody(output) }
    },
    async receiveEdgePayload(request: pb.EdgePayload, call: CallInfo): Promise<pb.Empty> {
      await require(p.receiveEdgePayload, 'edge payloads')(request, hookContext(call))
      return {}
    },
    async onSessionReady(): Promise<pb.Empty> {
      await p.onSessionReady?.(context())
      return {}
    },
    async onSessionClosing(): Promise<pb.Empty> {
      await p.onSessionClosing?.(context())
      return {}
    },
  }
}

async function rpcResponse(run: () => Promise<JsonValue> | JsonValue): Promise<pb.UiRpcResponse> {
  try {
    return { resultJson: encodeBody(await run()) }
  } catch (error) {
    return { resultJson: Buffer.alloc(0), error: toHookError(error) }
  }
}

export type PluginHandlers = ReturnType<typeof createPluginHandlers>

/** Hook-channel request cases and the handler and result case that answer each. */
export const CHANNEL_HOOKS = {
  preAuth: { handler: 'preAuth', result: 'requestResult' },
  auth: { handler: 'auth', result: 'authResult' },
  postAuth: { handler: 'postAuth', result: 'requestResult' },
  responseHeaders: { handler: 'responseHeaders', result: 'headersResult' },
  responseBody: { handler: 'responseBody', result: 'bodyResult' },
  responseChunk: { handler: 'responseChunk', result: 'chunkResult' },
  appByCredential: { handler: 'appByCredential', result: 'authResult' },
  userByCredential: { handler: 'userByCredential', result: 'authResult' },
} as const satisfies Partial<Record<NonNullable<pb.HookMessage['body']>['$case'], { handler: keyof PluginHandlers; result: string }>>
