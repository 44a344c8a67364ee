/**
 * @plugboard/host: the plugin runtime shared by the gateway and Studio.
 */
export { PluginHost, type PluginHostOptions } from './plugin-host.js'
export { ManagedPlugin, type PluginSpec, type PluginState, type ReloadOptions, type RestartPolicy } from './supervisor.js'
export { validateConfig, validateScopes, validateTopics, type JsonSchema, type PluginManifest, type TopicPatterns } from './plugin-manifest.js'
export { EdgePayloadDeliverer, type EdgePayloadDelivery, type EdgePayloadDelivererOptions, type EdgePayloadStats } from './edge-payload-deliverer.js'
export {
  HookChain,
  HookChainError,
  type HookBinding,
  type HookTarget,
  type HookObserver,
  type HookOutcome,
  type FailurePolicy,
  type RequestChainOutcome,
  type AuthChainOutcome,
} from './chain.js'
export { CircuitBreaker, type CircuitBreakerOptions, type BreakerState } from './circuit-breaker.js'
export { HookChannel, type HookCase, type HookRequest, type HookResult, type HookCallOptions } from './hook-channel.js'
export { PluginConnection, SERVICE_API_BROKER_ID, type PluginDescription, type ConnectOptions } from './plugin-connection.js'
export { launchPlugin, type LaunchOptions, type LaunchedPlugin, type ExitStatus } from './plugin-process.js'
export type { PluginIsolation, ResolvedIsolation } from './isolation.js'
export { parsePluginSource, type PluginSource } from './source.js'
export { forwardLines, type LogForwarderOptions } from './log-forwarder.js'
export { DEFAULT_SERVICE_API_RATE_LIMIT, serviceApiImplementation, TokenBucket, type ServiceApiRateLimit, type ServiceApiServerOptions } from './service-api-server.js'
export { HOST_ERRORS, httpStatusOf, type HostErrorCode } from './errors.js'
export { HOST_LOG_FIELDS, pluginLogFields, type HostLogger, type HostLogLevel } from './logger.js'
