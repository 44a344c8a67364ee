import type { Readable } from 'node:stream'
import { pluginLogFields, type HostLogger, type HostLogLevel } from './logger.js'

export interface LogForwarderOptions {
  /** Lines per second re-emitted per stream (stdout, stderr, Service API `Log`); the rest are counted and reported. */
  maxLinesPerSecond?: number
  /** Longer lines (log messages) are cut to this many characters. */
  maxLineLength?: number
}

const PINO_LEVELS: Array<[number, HostLogLevel]> = [
  [50, 'error'],
  [40, 'warn'],
  [30, 'info'],
  [0, 'debug'],
]
const NAMED_LEVELS: Record<string, HostLogLevel> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'error' }

function levelOf(value: unknown, fallback: HostLogLevel): HostLogLevel {
  if (typeof value === 'number') return PINO_LEVELS.find(([min]) => value >= min)![1]
  if (typeof value === 'string') return NAMED_LEVELS[value.toLowerCase()] ?? fallback
  return fallback
}

/**
 * The limits every line a plugin logs passes, from its stdout, its stderr or the Service API `Log`
 * call alike: at most `maxLinesPerSecond` a second (the rest are counted and the count logged once
 * a second) and messages cut to `maxLineLength`. Its fields are written under the host's logger
 * renamed away from the host's own (see {@link pluginLogFields}), then `hostFields`.
 */
export class PluginLogLimiter {
  readonly #maxPerSecond: number
  readonly #maxLength: number
  #windowStart = Date.now()
  #emitted = 0
  #dropped = 0
  #reportTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly logger: HostLogger,
    private readonly hostFields: Record<string, unknown>,
    options: LogForwarderOptions = {},
  ) {
    this.#maxPerSecond = options.maxLinesPerSecond ?? 200
    this.#maxLength = options.maxLineLength ?? 8192
  }

  /** Longer texts are cut to this many characters. */
  get maxLength(): number {
    return this.#maxLength
  }

  /** Counts one line against the rate; false when it is to be dropped (it is counted for the report). */
  admit(): boolean {
    const now = Date.now()
    if (now - this.#windowStart >= 1000) {
      this.flush()
      this.#windowStart = now
      this.#emitted = 0
    }
    if (++this.#emitted <= this.#maxPerSecond) return true
    this.#dropped++
    this.#reportTimer ??= setTimeout(() => this.flush(), 1000 - (now - this.#windowStart)).unref()
    return false
  }

  /** Writes an admitted line. */
  write(level: HostLogLevel, fields: Record<string, unknown>, message: string): void {
    this.logger[level]({ ...pluginLogFields(fields), ...this.hostFields }, this.cut(message))
  }

  cut(text: string): string {
    return text.length > this.#maxLength ? `${text.slice(0, this.#maxLength)}…` : text
  }

  /** Logs the count of lines dropped since the last report, if any. */
  flush(): void {
    clearTimeout(this.#reportTimer)
    this.#reportTimer = undefined
    if (this.#dropped > 0) this.logger.warn({ ...this.hostFields, dropped: this.#dropped }, 'plugin output exceeded the log rate limit; lines dropped')
    this.#dropped = 0
  }
}

/**
 * Reads a plugin's stdout or stderr to the end, re-emitting each line under the
 * plugin's logger within the limits of a {@link PluginLogLimiter}: JSON lines
 * (pino, hclog) keep their level, message and fields; other lines are logged
 * as text. The stream is always drained, so a plugin that floods its output
 * never blocks.
 */
export function forwardLines(stream: Readable, logger: HostLogger, streamName: 'stdout' | 'stderr', options: LogForwarderOptions = {}): void {
  const limiter = new PluginLogLimiter(logger, { stream: streamName }, options)
  const fallback: HostLogLevel = streamName === 'stderr' ? 'warn' : 'info'
  let buffered = ''

  const emit = (raw: string) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (!line || !limiter.admit()) return
    const text = limiter.cut(line)
    if (text.startsWith('{')) {
      try {
        const { level, msg, message, '@message': hcMessage, '@level': hcLevel, time: _t, '@timestamp': _ts, ...fields } = JSON.parse(text) as Record<string, unknown>
        limiter.write(levelOf(level ?? hcLevel, fallback), fields, String(msg ?? message ?? hcMessage ?? ''))
        return
      } catch {
        // not JSON after all: logged as text below
      }
    }
    limiter.write(fallback, { line: text }, 'plugin output')
  }

  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    let newline = buffered.indexOf('\n')
    while (newline !== -1) {
      emit(buffered.slice(0, newline))
      buffered = buffered.slice(newline + 1)
      newline = buffered.indexOf('\n')
    }
    if (buffered.length > limiter.maxLength) {
      emit(buffered)
      buffered = ''
    }
  })
  stream.on('end', () => {
    emit(buffered)
    limiter.flush()
  })
  stream.on('error', () => undefined)
}
