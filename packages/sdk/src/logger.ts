/** Structured logger handed to plugin code; fields are data, the message stays constant. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error'

/** pino's numeric levels, so the host re-emits plugin lines at the right level. */
const PINO_LEVELS: Record<LogLevelName, number> = { debug: 20, info: 30, warn: 40, error: 50 }

/**
 * A logger that writes one JSON object per line to `write` (stderr in a
 * plugin process, where the host parses each line and re-emits it under the
 * plugin's name).
 */
export function createLineLogger(write: (line: string) => void, bound: Record<string, unknown> = {}): Logger {
  const emit = (level: LogLevelName) => (message: string, fields?: Record<string, unknown>) => {
    write(`${JSON.stringify({ level: PINO_LEVELS[level], time: Date.now(), ...bound, ...fields, msg: message })}\n`)
  }
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => createLineLogger(write, { ...bound, ...fields }),
  }
}
