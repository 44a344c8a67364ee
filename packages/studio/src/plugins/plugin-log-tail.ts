import type { HostLogger, HostLogLevel } from '@plugboard/host'

/** One line a plugin (or the host about it) logged, as the API shows it. */
export interface PluginLogLine {
  at: string
  runtime: 'studio' | 'gateway'
  level: HostLogLevel
  message: string
  fields: Record<string, unknown>
}

/** Lines kept per plugin, and the size of the fields kept per line. */
const LINES_PER_PLUGIN = 200
const MAX_FIELDS_CHARS = 2000
/** Plugins tracked at most: a name beyond (never installed, or a flood of names) is not kept. */
const MAX_PLUGINS = 1000

/**
 * The last lines each plugin logged, in both runtimes: the plugin's own
 * output (stderr, Service API `Log`) and what the host logged about it
 * (started, crashed, restarted). Fed by wrapping the logger each runtime's
 * PluginHost writes to: every line under a `plugin` binding is kept here as
 * well as written. Bounded per plugin and in plugins.
 */
export class PluginLogTail {
  readonly #lines = new Map<string, PluginLogLine[]>()

  /** `logger`, also keeping every line written under a `plugin` binding. */
  wrap(logger: HostLogger, runtime: PluginLogLine['runtime']): HostLogger {
    return this.#wrapped(logger, runtime, undefined)
  }

  /** The newest lines of `plugin`, oldest first. */
  lines(plugin: string, limit = LINES_PER_PLUGIN): PluginLogLine[] {
    return (this.#lines.get(plugin) ?? []).slice(-limit)
  }

  /** Forgets a plugin's lines (uninstalled). */
  forget(plugin: string): void {
    this.#lines.delete(plugin)
  }

  #wrapped(logger: HostLogger, runtime: PluginLogLine['runtime'], plugin: string | undefined): HostLogger {
    const write = (level: HostLogLevel) => (fields: object, message: string) => {
      logger[level](fields, message)
      if (plugin !== undefined) this.#keep(plugin, { at: new Date().toISOString(), runtime, level, message: String(message).slice(0, 1000), fields: trimmed(fields) })
    }
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (bindings) => this.#wrapped(logger.child(bindings), runtime, typeof bindings.plugin === 'string' ? bindings.plugin : plugin),
    }
  }

  #keep(plugin: string, line: PluginLogLine): void {
    let lines = this.#lines.get(plugin)
    if (!lines) {
      if (this.#lines.size >= MAX_PLUGINS) return
      this.#lines.set(plugin, (lines = []))
    }
    lines.push(line)
    if (lines.length > LINES_PER_PLUGIN) lines.splice(0, lines.length - LINES_PER_PLUGIN)
  }
}

/** Fields as kept: JSON-safe and cut to a bounded size. */
function trimmed(fields: object): Record<string, unknown> {
  let text: string
  try {
    text = JSON.stringify(fields)
  } catch {
    return { unserializable: true }
  }
  if (text === undefined || text === '{}') return {}
  if (text.length <= MAX_FIELDS_CHARS) return JSON.parse(text) as Record<string, unknown>
  return { truncated: text.slice(0, MAX_FIELDS_CHARS) }
}
