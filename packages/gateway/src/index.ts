/**
 * @plugboard/gateway: the data plane. An OpenAI-compatible LLM proxy whose
 * every request flows through plugin hooks.
 */
export { Gateway, type GatewayOptions, type RequestDelegate, type GatewayConfigOption, type Readiness } from './gateway.js'
export { yamlFileSource, staticConfigSource, type ConfigSource } from './config-source.js'
export type { ConfigChanges, SectionChanges } from './config-diff.js'
export type { PluginChanges } from './gateway-plugins.js'
export { loadConfig, parseConfig, configFromDocument, interpolateValues, resolveSource, type ConfigDocument, hashApiKey, interpolateEnv, type GatewayConfig, type LlmConfig, type AppConfig, type PluginConfig, type HookName, type CollectorConfig } from './config.js'
export { encryptSecret, decryptSecret, MASTER_KEY_ENV } from './secrets.js'
export { GatewayError, GATEWAY_ERRORS, errorResponse, type GatewayErrorCode, type ErrorBody } from './errors.js'
export { MemoryBudgetStore, budgetPeriod, type BudgetStore, type BudgetReservation, type ReserveResult } from './budget.js'
export { SseSplitter, parseSseEvent, type SseEvent } from './sse.js'
