import { randomUUID } from 'node:crypto'
import { Cron } from 'croner'
import { sql } from 'kysely'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import type { ManifestSchedule } from '../plugins/plugin-runtime.js'

/** A manifest schedule that was not stored, and why. */
export interface ScheduleProblem {
  /** The manifest's id of it, or its index (`#2`) when it has none. */
  scheduleId: string
  message: string
}

const LIMITS = {
  idChars: 128,
  nameChars: 256,
  timeoutSeconds: { min: 1, max: 24 * 60 * 60, default: 60 },
  retries: { min: 0, max: 10, default: 0 },
  retryBackoffMs: { min: 0, max: 60 * 60 * 1000, default: 1000 },
} as const

/** A schedule as stored: what the manifest gives, defaults filled in. */
type StoredFields = Pick<Row<'schedules'>, 'name' | 'cron' | 'timezone' | 'timeout_seconds' | 'retries' | 'retry_backoff_ms'> & { config: string | null }

/**
 * Why croner cannot run `cron` in `timezone`, or undefined when it can. An
 * expression that never fires (`0 0 30 2 *`) counts as invalid: it would
 * sit in the list doing nothing.
 */
export function cronProblem(cron: string, timezone: string): string | undefined {
  try {
    const next = new Cron(cron, { timezone, paused: true }).nextRun()
    return next ? undefined : `"${cron}" never fires`
  } catch (error) {
    // croner throws a TypeError for the pattern and a RangeError (from Intl) for an unknown zone.
    return error instanceof RangeError && /time ?zone/i.test(error.message) ? `"${timezone}" is not a known time zone` : `"${cron}" is not a cron expression: ${(error as Error).message}`
  }
}

function integerIn(value: unknown, limits: { min: number; max: number; default: number }, field: string): number {
  if (value === undefined || value === null) return limits.default
  if (!Number.isInteger(value) || (value as number) < limits.min || (value as number) > limits.max) throw new Error(`${field} must be an integer from ${limits.min} to ${limits.max}`)
  return value as number
}

/** The stored fields of one manifest entry, or why it cannot be stored. The manifest is the plugin's word, so every field is checked. */
function storedFields(schedule: ManifestSchedule): StoredFields | string {
  if (typeof schedule.cron !== 'string') return 'cron must be a string'
  if (schedule.name !== undefined && (typeof schedule.name !== 'string' || schedule.name.length > LIMITS.nameChars)) return `name must be a string of at most ${LIMITS.nameChars} characters`
  if (schedule.timezone !== undefined && typeof schedule.timezone !== 'string') return 'timezone must be a string'
  const timezone = schedule.timezone || 'UTC'
  const problem = cronProblem(schedule.cron, timezone)
  if (problem) return problem
  try {
    return {
      name: schedule.name || schedule.id,
      cron: schedule.cron.trim(),
      timezone,
      timeout_seconds: integerIn(schedule.timeoutSeconds, LIMITS.timeoutSeconds, 'timeoutSeconds'),
      retries: integerIn(schedule.retries, LIMITS.retries, 'retries'),
      retry_backoff_ms: integerIn(schedule.retryBackoffMs, LIMITS.retryBackoffMs, 'retryBackoffMs'),
      config: schedule.config === undefined ? null : JSON.stringify(schedule.config),
    }
  } catch (error) {
    return (error as Error).message
  }
}

/** JSON with object keys sorted: jsonb gives keys back in its own order, which must not read as a change. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

const sameConfig = (stored: unknown, next: string | null) => canonicalJson(stored) === canonicalJson(next === null ? null : JSON.parse(next))

/**
 * Makes a plugin's stored schedules what its manifest declares: new ones
 * added (enabled), changed ones updated, ones it no longer declares deleted
 * (with their runs). What an admin set — `enabled` — is kept. An entry that
 * is invalid (no id, a duplicate id, a cron or time zone croner refuses, a
 * field out of range) is not stored and is reported; one already stored
 * under that id is left as it was, so a bad edit to a manifest does not
 * silently delete a working schedule. Resolves whether anything changed.
 */
export async function syncSchedules(db: StudioDb, pluginId: string, schedules: readonly ManifestSchedule[]): Promise<{ problems: ScheduleProblem[]; changed: boolean }> {
  const problems: ScheduleProblem[] = []
  const declared = new Map<string, StoredFields>()
  const kept = new Set<string>()
  schedules.forEach((schedule, index) => {
    const id = typeof schedule?.id === 'string' ? schedule.id : ''
    if (!id || id.length > LIMITS.idChars) return void problems.push({ scheduleId: `#${index}`, message: `id must be a non-empty string of at most ${LIMITS.idChars} characters` })
    if (declared.has(id) || kept.has(id)) return void problems.push({ scheduleId: id, message: 'another schedule of this plugin has the same id' })
    const fields = storedFields(schedule)
    if (typeof fields === 'string') {
      kept.add(id)
      return void problems.push({ scheduleId: id, message: fields })
    }
    declared.set(id, fields)
  })

  const changed = await db.transaction().execute(async (trx) => {
    const stored = await trx.selectFrom('schedules').selectAll().where('plugin_id', '=', pluginId).forUpdate().execute()
    const byId = new Map(stored.map((row) => [row.schedule_id, row]))
    let changed = false
    const gone = stored.filter((row) => !declared.has(row.schedule_id) && !kept.has(row.schedule_id)).map((row) => row.id)
    if (gone.length > 0) {
      await trx.deleteFrom('schedules').where('id', 'in', gone).execute()
      changed = true
    }
    for (const [scheduleId, fields] of declared) {
      const row = byId.get(scheduleId)
      if (!row) {
        await trx
          .insertInto('schedules')
          .values({ id: randomUUID(), plugin_id: pluginId, schedule_id: scheduleId, ...fields })
          // Another Studio process starting the same plugin may have added it meanwhile: its row stands.
          .onConflict((c) => c.columns(['plugin_id', 'schedule_id']).doNothing())
          .execute()
        changed = true
        continue
      }
      const same =
        row.name === fields.name && row.cron === fields.cron && row.timezone === fields.timezone && row.timeout_seconds === fields.timeout_seconds &&
        row.retries === fields.retries && row.retry_backoff_ms === fields.retry_backoff_ms && sameConfig(row.config, fields.config)
      if (same) continue
      await trx.updateTable('schedules').set({ ...fields, updated_at: sql`now()` }).where('id', '=', row.id).execute()
      changed = true
    }
    return changed
  })
  return { problems, changed }
}
