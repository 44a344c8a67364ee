import { Cron } from 'croner'
import type { Row } from '../db/schema.js'
import type { ScheduleRunView, ScheduleView } from '../plugins/plugin-runtime.js'

/** A schedule row with its plugin's name, as the scheduler's queries select it. */
export type ScheduleRow = Row<'schedules'> & { plugin_name: string; plugin_enabled: boolean }

/** When an enabled schedule fires next (croner, in its time zone); null when disabled. */
export function nextRunAt(row: Pick<Row<'schedules'>, 'cron' | 'timezone' | 'enabled'>, now = new Date()): string | null {
  if (!row.enabled) return null
  return new Cron(row.cron, { timezone: row.timezone, paused: true }).nextRun(now)?.toISOString() ?? null
}

export function presentRun(row: Row<'schedule_runs'>): ScheduleRunView {
  return {
    id: row.id,
    scheduleId: row.schedule,
    scheduledAt: row.scheduled_at.toISOString(),
    attempt: row.attempt,
    trigger: row.trigger,
    status: row.status,
    node: row.node,
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationMs: row.duration_ms,
    error: row.error,
    output: row.output ?? null,
  }
}

export function presentSchedule(row: ScheduleRow, lastRun: Row<'schedule_runs'> | undefined): ScheduleView {
  return {
    id: row.id,
    plugin: row.plugin_name,
    scheduleId: row.schedule_id,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    timeoutSeconds: row.timeout_seconds,
    enabled: row.enabled,
    retries: row.retries,
    nextRunAt: nextRunAt(row),
    lastRun: lastRun ? presentRun(lastRun) : null,
  }
}
