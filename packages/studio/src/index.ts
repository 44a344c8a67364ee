/**
 * @plugboard/studio: the control plane. Database, admin API, accounts,
 * budgets, analytics and audit, and the live config the gateway serves from.
 */
export { openDatabase, buildTemplate, isDatabaseUnavailable, type StudioDatabase, type StudioDb, type DatabaseLocation } from './db/database.js'
export { StudioError, STUDIO_ERRORS, type StudioErrorCode } from './errors.js'
export { Studio, type StudioOptions } from './studio.js'
export { Platform, type PlatformOptions, type Seeded } from './platform.js'
export { GatewayFeed } from './gateway-feed.js'
export { readConfigDocument, type StudioConfigDocument } from './config/config-document.js'
export { applyConfigDocument, type ConfigChange } from './config/apply-config.js'
export { readConfigFile, configYaml } from './config/config-file.js'
export { type FirstAdmin } from './accounts/bootstrap.js'
export { StudioBudgetStore, type StudioBudgetStoreOptions } from './budgets/budget-store.js'
export { BudgetAlerts, type BudgetAlert } from './budgets/budget-alerts.js'
export { budgetLimitsOf } from './budgets/budget-limits.js'
export { AnalyticsWriter, type AnalyticsWriterOptions, type AnalyticsWriterStats } from './analytics/analytics-writer.js'
export { seedRequests, type SeedRequestsOptions } from './analytics/seed-requests.js'
export { Scheduler, type SchedulerOptions, type ScheduleWriteOrigin, type ScheduleListQuery } from './scheduler/scheduler.js'
export { registerScheduleRoutes } from './scheduler/schedule-routes.js'
export type { ScheduleProblem } from './scheduler/schedule-sync.js'
export { PostgresKvStore, type PostgresKvStoreOptions } from './plugins/kv-store.js'
export { createStudioServiceApi, toServiceError, MAX_SERVICE_LIST, type StudioServiceApiDeps, type CompletionProxy, type ProxiedCompletion } from './plugins/service-api.js'
