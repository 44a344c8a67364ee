/**
 * The logger the host writes to: pino's call shape (fields first, then a
 * constant message), so an app passes its pino instance straight in.
 */
export interface HostLogger {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
  child(bindings: Record<string, unknown>): HostLogger
}

export type HostLogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * Fields the host sets on lines it writes for a plugin: pino's own, the
 * bindings of the plugin's logger (`plugin`, `source`, `stream`) and `audit`,
 * which marks the host's audit trail.
 */
export const HOST_LOG_FIELDS: ReadonlySet<string> = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v', 'plugin', 'audit', 'source', 'stream'])

/**
 * A plugin's own log fields, safe to write under the host's logger: a field
 * named like one the host sets is kept as `plugin.<name>`, so a plugin cannot
 * forge an audit line, another plugin's name or a level. Used for stderr JSON
 * lines and the Service API `Log` call alike.
 */
export function pluginLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  const safe: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) safe[HOST_LOG_FIELDS.has(key) ? `plugin.${key}` : key] = value
  return safe
}
