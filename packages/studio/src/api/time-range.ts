import { Type } from 'typebox'
import { StudioError } from '../errors.js'

/** The `from` / `to` query of the routes over time-stamped rows (analytics, the request log, the audit log). */
export const TimeRangeQuery = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Rows at or after this time (RFC 3339, with its offset).' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Rows before this time.' })),
}

export interface TimeRange {
  from: Date | undefined
  to: Date | undefined
}

/**
 * The range a query asks for; with `defaultDays`, a missing end is filled
 * in: `to` now, `from` that many days before `to`. VALIDATION_FAILED when
 * `from` is after `to`.
 */
export function timeRangeOf(query: { from?: string | undefined; to?: string | undefined }, defaultDays: number): { from: Date; to: Date }
export function timeRangeOf(query: { from?: string | undefined; to?: string | undefined }): TimeRange
export function timeRangeOf(query: { from?: string | undefined; to?: string | undefined }, defaultDays?: number): TimeRange {
  let to = dateOf(query.to, 'to')
  let from = dateOf(query.from, 'from')
  if (defaultDays !== undefined) {
    to ??= new Date()
    from ??= new Date(to.getTime() - defaultDays * 24 * 60 * 60 * 1000)
  }
  if (from && to && from > to) throw new StudioError('VALIDATION_FAILED', '`from` is after `to`', { details: [{ path: 'query/from', message: 'must not be after to' }] })
  return { from, to }
}

/** A time the schema's date-time format passed but a Date cannot hold (a leap second, `23:59:60`) is refused, not sent on as NaN. */
function dateOf(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) throw new StudioError('VALIDATION_FAILED', `\`${name}\` is not a time this API can read`, { details: [{ path: `query/${name}`, message: 'must be a date-time like 2026-01-31T12:00:00Z' }] })
  return date
}
