import type { HookContext, PluginContext } from './context.js'
import type {
  AgentChunk,
  AgentRequest,
  Asset,
  AuthRequest,
  AuthResult,
  DataBatch,
  EdgePayload,
  EndpointRequest,
  EndpointResponse,
  EndpointSpec,
  JsonValue,
  ObjectHookEvent,
  ObjectHookResult,
  PostAuthRequest,
  PreAuthRequest,
  RequestHookResult,
  ResponseBodyEvent,
  ResponseBodyResult,
  ResponseChunkEvent,
  ResponseChunkResult,
  ResponseHeadersEvent,
  ResponseHeadersResult,
  ScheduledTask,
  StreamCompleteEvent,
  PortalRpcRequest,
  UiRpcRequest,
} from './types.js'

type Awaitable<T> = T | Promise<T>

/** Sees the raw request before authentication; may pass, modify or block it. */
export interface PreAuthHook {
  preAuth(request: PreAuthRequest, ctx: HookContext): Awaitable<RequestHookResult>
}

/** Turns a credential into an app and user, rejects it, or passes it to the next authenticator. */
export interface AuthProvider {
  authenticate(request: AuthRequest, ctx: HookContext): Awaitable<AuthResult>
  getAppByCredential?(credential: string, ctx: HookContext): Awaitable<AuthResult>
  getUserByCredential?(credential: string, ctx: HookContext): Awaitable<AuthResult>
}

/** Sees the authenticated request with app, user, LLM, model and budget; may pass, modify or block it. */
export interface PostAuthHook {
  postAuth(request: PostAuthRequest, ctx: HookContext): Awaitable<RequestHookResult>
}

/** Rewrites response headers, a whole body, or each streamed chunk in order. Implement any subset. */
export interface ResponseHook {
  onResponseHeaders?(event: ResponseHeadersEvent, ctx: HookContext): Awaitable<ResponseHeadersResult>
  onResponseBody?(event: ResponseBodyEvent, ctx: HookContext): Awaitable<ResponseBodyResult>
  onResponseChunk?(event: ResponseChunkEvent, ctx: HookContext): Awaitable<ResponseChunkResult>
}

/** Called off the request path once a response ended, with everything that was sent. */
export interface StreamCompleteHook {
  onStreamComplete(event: StreamCompleteEvent, ctx: HookContext): Awaitable<void>
}

/** Receives batches of proxy logs, analytics and budget usage, off the request path. */
export interface DataCollector {
  collect(batch: DataBatch, ctx: HookContext): Awaitable<void>
}

/** Serves routes under /plugins/{slug}/… */
export interface CustomEndpoints {
  endpoints(): EndpointSpec[]
  handleEndpoint(request: EndpointRequest, ctx: HookContext): Awaitable<EndpointResponse>
}

/** Runs before or after create, update and delete of Studio objects; a before-hook may modify or reject. */
export interface ObjectHooks {
  /** Subscriptions as "object_type:event", e.g. "llm:before_create". */
  objectHooks(): string[]
  onObjectEvent(event: ObjectHookEvent, ctx: HookContext): Awaitable<ObjectHookResult>
}

/** Handles a chat message, streaming content, thinking, tool calls and results. */
export interface Agent {
  handleMessage(request: AgentRequest, ctx: HookContext): AsyncIterable<AgentChunk>
}

/** Serves dashboard assets and answers RPC from its own admin UI. */
export interface UiProvider {
  serveAsset(path: string, ctx: HookContext): Awaitable<Asset | undefined>
  handleUiRpc(request: UiRpcRequest, ctx: HookContext): Awaitable<JsonValue>
}

/**
 * Answers RPC from its portal pages (manifest `portal.pages`); the user and
 * their groups come from the host, which has refused methods no page the user
 * may see declares. Its pages' assets are served by `UiProvider.serveAsset`.
 */
export interface PortalUi {
  handlePortalRpc(request: PortalRpcRequest, ctx: HookContext): Awaitable<JsonValue>
}

/** Describes its configuration; the host validates config against it before the plugin sees it. */
export interface ConfigProvider {
  configSchema(): JsonValue
}

/** Runs the cron tasks its manifest declares. */
export interface ScheduledTasks {
  runScheduledTask(task: ScheduledTask, ctx: HookContext): Awaitable<JsonValue | void>
}

/** Receives data that gateways send to the control plane. */
export interface EdgePayloadReceiver {
  receiveEdgePayload(payload: EdgePayload, ctx: HookContext): Awaitable<void>
}

/** Told when its session with the host is ready and before it closes, for long-lived work. */
export interface SessionAware {
  onSessionReady(ctx: PluginContext): Awaitable<void>
  onSessionClosing(ctx: PluginContext): Awaitable<void>
}
