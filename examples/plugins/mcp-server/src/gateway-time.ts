import { PlugboardError } from '@plugboard/sdk'
import type { McpServerErrorCode } from './errors.js'

/** A moment as the `gateway_time` tool reports it. */
export interface GatewayTime {
  /** UTC, ISO 8601 with milliseconds: "2025-05-04T12:30:00.000Z". */
  iso: string
  unixMs: number
  /** The zone as asked for. */
  timeZone: string
  /** Wall-clock time in `timeZone` with its offset: "2025-05-04T14:30:00+02:00". */
  local: string
}

/**
 * Describes `now` in UTC and in an IANA time zone, formatted the same way on
 * every machine (no locale-dependent text).
 *
 * @throws PlugboardError `GATEWAY_TIME_INVALID_ZONE` when the zone is not an IANA name Node knows.
 * @example
 * describeTime(new Date('2025-05-04T12:30:00Z'), 'Europe/Paris').local // "2025-05-04T14:30:00+02:00"
 */
export function describeTime(now: Date, timeZone = 'UTC'): GatewayTime {
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
  } catch (error) {
    throw new PlugboardError<McpServerErrorCode>('GATEWAY_TIME_INVALID_ZONE', `unknown time zone "${timeZone}"; use an IANA name such as "UTC" or "Europe/Paris"`, {
      cause: error,
    })
  }
  const part = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]))
  // "GMT+02:00" for most zones, plain "GMT" at offset zero.
  const offset = part.timeZoneName === 'GMT' ? '+00:00' : String(part.timeZoneName).replace('GMT', '')
  return {
    iso: now.toISOString(),
    unixMs: now.getTime(),
    timeZone,
    local: `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}${offset}`,
  }
}
