/**
 * @plugboard/sdk: what plugin authors import. Extend `BasePlugin`, implement
 * the capability interfaces you need, and `serve()` the plugin.
 */
export { BasePlugin } from './plugin.js'
export { serve, type ServeOptions } from './serve.js'
export { pass, modify, block } from './results.js'
export { detectRuntime } from './runtime.js'
export { detectCapabilities } from './handlers.js'
export { HANDSHAKE, type Scope, type CapabilityName } from '@plugboard/proto'
export { PlugboardError, isPlugboardError, SDK_ERROR_CODES, type SdkErrorCode } from './errors.js'
export type {
  PreAuthHook,
  AuthProvider,
  PostAuthHook,
  ResponseHook,
  StreamCompleteHook,
  DataCollector,
  CustomEndpoints,
  ObjectHooks,
  Agent,
  UiProvider,
  PortalUi,
  ConfigProvider,
  ScheduledTasks,
  EdgePayloadReceiver,
  SessionAware,
} from './capabilities.js'
export type { PluginContext, HookContext } from './context.js'
export type { Logger } from './logger.js'
export type { Manifest, PortalPage, ScheduleSpec, UiComponent } from './manifest.js'
export type { Services, KvClient, EventsClient, EventDirection, EdgeClient, PluginEvent, ObjectCollection, WritableObjectCollection, CallOptions } from './services.js'
export type {
  Headers,
  BodyInit,
  JsonValue,
  Runtime,
  HttpRequest,
  App,
  User,
  Budget,
  RequestContext,
  PreAuthRequest,
  PostAuthRequest,
  AuthRequest,
  RequestHookResult,
  AuthResult,
  ResponseHeadersEvent,
  ResponseHeadersResult,
  ResponseBodyEvent,
  ResponseBodyResult,
  ResponseChunkEvent,
  ResponseChunkResult,
  Usage,
  StreamCompleteEvent,
  CollectedRecord,
  ProxyLog,
  AnalyticsRecord,
  BudgetUsage,
  DataBatch,
  EndpointSpec,
  EndpointRequest,
  EndpointResponse,
  ObjectType,
  ObjectEvent,
  ObjectHookEvent,
  ObjectHookResult,
  ChatMessage,
  AgentResource,
  AgentRequest,
  AgentChunk,
  Asset,
  UiRpcRequest,
  PortalRpcRequest,
  ScheduledTask,
  EdgePayload,
} from './types.js'
