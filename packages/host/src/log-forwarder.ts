import type { Readable } from 'node:stream'
import { pluginLogFields, type HostLogger, type HostLogLevel } from './logger.js'

export interface LogForwarderOptions {
  /** Lines per second re-emitted per stream; the rest are counted and reported. */
  maxLinesPerSecond?: number
  /** Longer lines are cut to this many characters. */
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
 * Reads a plugin's stdout or stderr to the end, re-emitting each line under the
 * plugin's logger: JSON lines (pino, hclog) keep their level, message and
 * fields (those named like the host's renamed, see {@link pluginLogFields}); other lines are logged as text. The stream is always drained, so a
 * plugin that floods its output never blocks; lines beyond the rate limit are
 * dropped and their count logged once a second.
 */
export function forwardLines(stream: Readable, logger: HostLogger, streamName: 'stdout' | 'stderr', options: LogForwarderOptions = {}): void {
  const maxPerSecond = options.maxLinesPerSecond ?? 200
  const maxLength = options.maxLineLength ?? 8192
  const fallback: HostLogLevel = streamName === 'stderr' ? 'warn' : 'info'
  let buffered = ''
  let windowStart = Date.now()
  let emitted = 0
  let dropped = 0

  let reportTimer: NodeJS.Timeout | undefined
  const reportDropped = () => {
    clearTimeout(reportTimer)
    reportTimer = undefined
    if (dropped > 0) logger.warn({ stream: streamName, dropped }, 'plugin output exceeded the log rate limit; lines dropped')
    dropped = 0
  }

  const emit = (raw: string) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (!line) return
    const now = Date.now()
    if (now - windowStart >= 1000) {
      reportDropped()
      windowStart = now
      emitted = 0
    }
    if (++emitted > maxPerSecond) {
      dropped++
      reportTimer ??= setTimeout(reportDropped, 1000 - (now - windowStart)).unref()
      return
    }
    const text = line.length > maxLength ? `${line.slice(0, maxLength)}…` : line
    if (text.startsWith('{')) {
      try {
        const { level, msg, message, '@message': hcMessage, '@level': hcLevel, time: _t, '@timestamp': _ts, ...fields } = JSON.parse(text) as Record<string, unknown>
        logger[levelOf(level ?? hcLevel, fallback)]({ ...pluginLogFields(fields), stream: streamName }, String(msg ?? message ?? hcMessage ?? ''))
        return
      } catch {
        // not JSON after all: logged as text below
      }
    }
    logger[fallback]({ stream: streamName, line: text }, 'plugin output')
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
    if (buffered.length > maxLength) {
      emit(buffered)
      buffered = ''
    }
  })
  stream.on('end', () => {
    emit(buffered)
    reportDropped()
  })
  stream.on('error', () => undefined)
}
