/**
 * @plugboard/gateway: the data plane. An OpenAI-compatible LLM proxy whose
 * every request flows through plugin hooks.
 */
export { Gateway, isGatewayPath, type GatewayOptions, type RequestDelegate, type GatewayConfigOption, type Readiness } from './gateway.js'
export type { RequestRecord, RequestApi, RequestLog } from './request-log.js'
export { yamlFileSource, staticConfigSource, type ConfigSource } from './config-source.js'
export type { ConfigChanges, SectionChanges } from './config-diff.js'
export { pluginSpecOf, samePluginProcess, type GatewayPluginHostOptions, type PluginChanges, type PluginFailureHandling } from './gateway-plugins.js'
export {
  loadConfig,
  parseConfig,
  configFromDocument,
  interpolateValues,
  resolveSource,
  hashApiKey,
  interpolateEnv,
  DEFAULT_BUDGET_THRESHOLDS,
  HOOK_NAMES,
  MAX_PERIOD_DAYS,
  NATIVE_APIS,
  nativeApisProblem,
  type NativeApi,
  type ConfigDocument,
  type GatewayConfig,
  type LlmConfig,
  type AppConfig,
  type AppKey,
  type BudgetLimit,
  type BudgetPeriodRule,
  type PluginConfig,
  type HookName,
  type CollectorConfig,
} from './config.js'
export { encryptSecret, decryptSecret, MASTER_KEY_ENV } from './secrets.js'
export { GatewayError, GATEWAY_ERRORS, errorResponse, type GatewayErrorCode, type ErrorBody } from './errors.js'
export { MemoryBudgetStore, budgetPeriodOf, type BudgetPeriod, type BudgetStore, type BudgetReservation, type ReserveResult } from './budget.js'
export { SseSplitter, parseSseEvent, type SseEvent } from './sse.js'
