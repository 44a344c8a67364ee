/**
 * @plugboard/studio: the control plane. Database, admin API, accounts,
 * budgets, analytics and audit, and the live config the gateway serves from.
 */
export { openDatabase, buildTemplate, isDatabaseUnavailable, type StudioDatabase, type StudioDb, type DatabaseLocation } from './db/database.js'
export { StudioError, STUDIO_ERRORS, type StudioErrorCode } from './errors.js'
export { Studio, type StudioOptions } from './studio.js'
export { StudioBudgetStore, type StudioBudgetStoreOptions } from './budgets/budget-store.js'
export { BudgetAlerts, type BudgetAlert } from './budgets/budget-alerts.js'
export { budgetLimitsOf } from './budgets/budget-limits.js'
