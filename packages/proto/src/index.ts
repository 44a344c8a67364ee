/**
 * @plugboard/proto: the wire protocol shared by the SDK (plugin side) and the
 * host. Generated protobuf code is exposed as namespaces; plugin authors never
 * touch it directly, the SDK maps it to plain typed objects.
 */
export * as pluginv1 from './gen/plugboard/plugin/v1/plugin.js'
export { PluginService, PluginClient, serializeHookFrame, encodeHookFrames, HOOK_FRAME_LIMIT, type EncodedHookFrames } from './plugin-service.js'
export * as servicev1 from './gen/plugboard/service/v1/service.js'
export { ServiceApiService, ServiceApiClient, SERVICE_FRAME_MAX_MESSAGES, encodeServiceFrames, serializeServiceFrame, isUnaryServiceMethod, serviceMethodCodec } from './service-channel.js'
export { CHANNEL_FRAME_LIMIT, Outbox, whenChannelCloses, type EncodedFrames } from './frames.js'
export * as goplugin from './go-plugin.js'
export * as health from './gen/grpc/health/v1/health.js'
export { PlugboardError, isPlugboardError, toGrpcError, fromGrpcError, ERROR_CODE_METADATA_KEY } from './errors.js'
export {
  HANDSHAKE,
  PLUGIN_ENV,
  formatHandshakeLine,
  parseHandshakeLine,
  negotiateAppVersion,
  type Handshake,
  type HandshakeNetwork,
  type HandshakeErrorCode,
} from './handshake.js'
export { generateTlsIdentity, certDerToPem, mtlsServerCredentials, mtlsChannelCredentials, PLUGIN_CHANNEL_OPTIONS, type TlsIdentity } from './mtls.js'
export { SCOPES, SERVICE_API_METHOD_SCOPES, type Scope, type ServiceApiMethod } from './scopes.js'
export { CAPABILITY_NAMES, capabilityName, type CapabilityName } from './capabilities.js'
export {
  authorizeServiceCall,
  authorizeTopic,
  serviceErrorStatus,
  unavailableControlPlane,
  SERVICE_API_ERRORS,
  type ServiceApiHandlers,
  type ServiceCaller,
  type ServiceRequest,
  type ServiceResponse,
  type UnaryServiceMethod,
  type StreamServiceMethod,
  STREAM_SERVICE_METHODS,
  type ServiceApiErrorCode,
  type ControlPlaneMethod,
} from './service-api.js'
export { createCoreServiceHandlers, type CoreServiceMethod, type PluginLogSink, type PluginLogLevel } from './core-services.js'
export {
  createServiceApiAccess,
  writeServiceApiAccess,
  readServiceApiAccess,
  serviceApiAccessCredentials,
  serviceApiCallMetadata,
  carriesServiceApiToken,
  type ServiceApiAccess,
} from './service-api-access.js'
export { MemoryKvStore, KV_ENTRY_OVERHEAD_BYTES, parseCounter, type KvStore, type MemoryKvStoreOptions } from './kv-store.js'
export { MemoryEventBus, type EventBus, type MemoryEventBusOptions } from './event-bus.js'
export { topicMatches, patternWithin, withinAny, topicProblem, NO_TOPICS, MAX_TOPIC_LENGTH, type TopicGrant } from './topic-patterns.js'
export { InProcessEventRelay, routeEvent, type EventRelay, type EventRouting, type EventRuntime } from './event-relay.js'
export { publishSystemEvent, isSystemTopic, SYSTEM_TOPICS, HOST_EVENT_SOURCE } from './system-events.js'
export { MAX_EDGE_PAYLOAD_BYTES, type EdgePayloadSink } from './edge-payloads.js'
export { callUnary, type UnaryCallOptions } from './grpc-call.js'
export { BrokerTable, brokerTarget } from './broker-table.js'
export { Deadlines } from './deadlines.js'
