import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Trx } from '../api/writes.js'
import type { StudioDb } from '../db/database.js'
import type { Row, ScheduleRunStatus } from '../db/schema.js'
import { StudioError } from '../errors.js'
import type { ScheduleRow } from './schedule-views.js'

/** The first key of every schedule's advisory lock ("pbsc"), so it cannot meet another feature's single-key locks. */
const SCHEDULE_LOCK_SPACE = 0x70627363
/**
 * A run still `running` this long past its timeout was left by a Studio
 * process that died mid-run (a live one cancels it at the timeout): it no
 * longer blocks the schedule and is recorded as failed.
 */
export const ABANDONED_GRACE_MS = 30_000
/** Runs kept per schedule; older ones are pruned after each run. */
export const RUNS_KEPT_PER_SCHEDULE = 1000
/** The longest error text kept with a run. */
const MAX_ERROR_CHARS = 2000

export type RunTrigger = Row<'schedule_runs'>['trigger']

export interface RunClaim {
  schedule: string
  /** The tick: truncated to the second for cron ticks, so every process names it alike. */
  scheduledAt: Date
  attempt: number
  trigger: RunTrigger
  node: string
}

/**
 * What a claim came to: `claimed` — this process runs it; `skipped` — a run
 * of the schedule was still going, so the tick was recorded as skipped;
 * `taken` — another process claimed (or skipped) this tick and attempt;
 * `inactive` — the schedule is gone, or it or its plugin is disabled (cron and retry only).
 */
export type ClaimOutcome =
  | { kind: 'claimed'; run: Row<'schedule_runs'>; schedule: ScheduleRow }
  | { kind: 'skipped'; run: Row<'schedule_runs'> }
  | { kind: 'taken' }
  | { kind: 'inactive' }

/** Schedules with their plugin's name (the ScheduleRow every view is made from). */
export function selectSchedules(db: StudioDb | Trx) {
  return db.selectFrom('schedules').innerJoin('plugins', 'plugins.id', 'schedules.plugin_id').selectAll('schedules').select(['plugins.name as plugin_name', 'plugins.enabled as plugin_enabled'])
}

/**
 * A run id that sorts by creation time (UUIDv7's layout: 48 bits of
 * milliseconds, then random), so runs of one tick list in attempt order.
 */
export function newRunId(now = Date.now()): string {
  const hex = now.toString(16).padStart(12, '0') + randomBytes(10).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export function cutError(message: string): string {
  return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 1)}…` : message
}

/**
 * Claims one run of a schedule, atomically across every Studio process on
 * the database. Under the schedule's advisory transaction lock (so claims of
 * one schedule are serialised), it marks runs abandoned by dead processes
 * failed, then inserts the run as `running` — or as `skipped` when another
 * run of the schedule is still running (runs never overlap) — with ON
 * CONFLICT on (schedule, scheduled_at, attempt) DO NOTHING: exactly one
 * process gets the row of a tick. A manual run that meets a running one is
 * refused (SCHEDULE_RUN_IN_PROGRESS) and records nothing.
 *
 * Runs inside `trx` so a manual run commits with its audit entry.
 */
export async function claimRun(trx: Trx, claim: RunClaim): Promise<ClaimOutcome> {
  await sql`select pg_advisory_xact_lock(${SCHEDULE_LOCK_SPACE}, hashtext(${claim.schedule}))`.execute(trx)
  const schedule = await selectSchedules(trx).where('schedules.id', '=', claim.schedule).executeTakeFirst()
  // Another process may still have a job for a schedule an admin just disabled here: the database decides.
  if (!schedule || (claim.trigger !== 'manual' && !(schedule.enabled && schedule.plugin_enabled))) return { kind: 'inactive' }

  await trx
    .updateTable('schedule_runs')
    .set({ status: 'failed', error: 'abandoned: the Studio process running it stopped before it finished', finished_at: sql`now()` })
    .where('schedule', '=', claim.schedule)
    .where('status', '=', 'running')
    .where('started_at', '<', sql<Date>`now() - make_interval(secs => ${schedule.timeout_seconds + ABANDONED_GRACE_MS / 1000})`)
    .execute()
  const running = await trx.selectFrom('schedule_runs').select('id').where('schedule', '=', claim.schedule).where('status', '=', 'running').executeTakeFirst()
  if (running && claim.trigger === 'manual') {
    throw new StudioError('SCHEDULE_RUN_IN_PROGRESS', `schedule "${schedule.schedule_id}" is running (run ${running.id}); wait for it to finish, then run it again`, { details: [{ path: '/runId', message: running.id }] })
  }

  const status: ScheduleRunStatus = running ? 'skipped' : 'running'
  const run = await trx
    .insertInto('schedule_runs')
    .values({
      id: newRunId(),
      schedule: claim.schedule,
      scheduled_at: claim.scheduledAt,
      attempt: claim.attempt,
      trigger: claim.trigger,
      status,
      node: claim.node,
      started_at: sql`now()`,
      ...(running && { finished_at: sql`now()`, duration_ms: 0, error: `run ${running.id} of this schedule was still running` }),
    })
    .onConflict((c) => c.columns(['schedule', 'scheduled_at', 'attempt']).doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!run) return { kind: 'taken' }
  return run.status === 'running' ? { kind: 'claimed', run, schedule } : { kind: 'skipped', run }
}

export interface RunOutcome {
  status: Extract<ScheduleRunStatus, 'completed' | 'failed' | 'timed_out'>
  error?: string
  /** The task's output as JSON text, already capped. */
  outputJson?: string
}

/**
 * Records how a claimed run ended and prunes the schedule's history to its
 * last RUNS_KEPT_PER_SCHEDULE runs, in one transaction: no reader sees the
 * run ended with the history not yet pruned.
 */
export function finishRun(db: StudioDb, run: Pick<Row<'schedule_runs'>, 'id' | 'schedule'>, outcome: RunOutcome): Promise<Row<'schedule_runs'>> {
  return db.transaction().execute(async (trx) => {
    const row = await recordOutcome(trx, run, outcome)
    await pruneRuns(trx, run.schedule)
    return row
  })
}

function recordOutcome(db: StudioDb, run: Pick<Row<'schedule_runs'>, 'id'>, outcome: RunOutcome): Promise<Row<'schedule_runs'>> {
  // The database's clock for both ends: the run may have been claimed on another process's.
  return db
    .updateTable('schedule_runs')
    .set({
      status: outcome.status,
      finished_at: sql`now()`,
      duration_ms: sql`greatest(0, round(extract(epoch from now() - started_at) * 1000))::integer`,
      error: outcome.error === undefined ? null : cutError(outcome.error),
      ...(outcome.outputJson !== undefined && { output: outcome.outputJson }),
    })
    .where('id', '=', run.id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Keeps the newest RUNS_KEPT_PER_SCHEDULE runs of a schedule: its history never grows without bound. */
export async function pruneRuns(db: StudioDb, schedule: string): Promise<void> {
  await db
    .deleteFrom('schedule_runs')
    .where('schedule', '=', schedule)
    .where('id', 'in', (eb) =>
      eb.selectFrom('schedule_runs').select('id').where('schedule', '=', schedule).orderBy('scheduled_at', 'desc').orderBy('id', 'desc').offset(RUNS_KEPT_PER_SCHEDULE),
    )
    .execute()
}
