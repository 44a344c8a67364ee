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
