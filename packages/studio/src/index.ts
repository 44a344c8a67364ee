/**
 * @plugboard/studio: the control plane. Database, admin API, accounts,
 * budgets, analytics and audit, and the live config the gateway serves from.
 */
export { openDatabase, buildTemplate, isDatabaseUnavailable, type StudioDatabase, type StudioDb, type DatabaseLocation } from './db/database.js'
export { StudioError, STUDIO_ERRORS, type StudioErrorCode } from './errors.js'
export { Studio, type StudioOptions } from './studio.js'
