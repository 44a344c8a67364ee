import { setTimeout as sleep } from 'node:timers/promises'
import type { ManagedPlugin } from '@plugboard/host'
import { Cron } from 'croner'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { ChangeFeed } from '../api/changes.js'
import { listPage, type PageOf } from '../api/list.js'
import { SYSTEM_ACTOR, type Actor, type Writes } from '../api/writes.js'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import { StudioError, notFound } from '../errors.js'
import type { ManifestSchedule, PluginDirectory, ScheduledPlugin, ScheduleOperations, ScheduleRunView, ScheduleView } from '../plugins/plugin-runtime.js'
import { claimRun, finishRun, pruneRuns, selectSchedules, type RunClaim, type RunOutcome } from './run-claims.js'
import { syncSchedules, type ScheduleProblem } from './schedule-sync.js'
import { presentRun, presentSchedule, type ScheduleRow } from './schedule-views.js'

/** The largest task output kept with a run; a larger one is replaced by a note of its size. */
export const MAX_OUTPUT_BYTES = 64 * 1024
/** How long a process where the plugin is not running waits before claiming a tick (to record it failed), so one where it runs claims first. */
const ABSENT_CLAIM_DELAY_MS = 2_000
const STOP_GRACE_MS = 5_000

export interface SchedulerOptions {
  db: StudioDb
  logger: Logger
  /** This process, recorded on the runs it claims; random per process. */
  node: string
  plugins: PluginDirectory
  /** Enabling, disabling and run-now are audited writes. */
  writes: Writes
  /** Committed changes — this process's and, over PostgreSQL, the others' — refresh the job set on a schedule or plugin change. */
  changes: ChangeFeed
  absentClaimDelayMs?: number
  /** How long `stop()` lets the runs in flight finish before it cancels them; 5000 unless set. */
  stopGraceMs?: number
}

/** Who asked, for the audit entry of an admin API write. */
export interface ScheduleWriteOrigin {
  actor: Actor
  requestId?: string | undefined
}

/** The page and filter of the admin API's schedule list. */
export interface ScheduleListQuery {
  plugin?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
  sort?: string | undefined
}

interface Job {
  cron: Cron
  /** What the job was made from: a change of either replaces it. */
  pattern: string
  pluginId: string
  /** The tick the job fires for next: the key its claim uses, whatever the timer's lateness. */
  nextTick: Date | null
}

const SCHEDULE_SORTS = { sortable: { name: 'schedules.name', scheduleId: 'schedules.schedule_id', createdAt: 'schedules.created_at' }, defaultSort: 'createdAt' }
const RUN_SORTS = { sortable: { scheduledAt: 'scheduled_at' }, defaultSort: '-scheduledAt' }

const truncateToSecond = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000)

/** Waits `ms`; false when `signal` aborted first. */
const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).then(() => true, () => false)

/**
 * Runs plugins' scheduled tasks (manifest `schedules`) with croner: one job
 * per enabled schedule of an enabled plugin, each tick claimed in the
 * database (see `claimRun`), so over one PostgreSQL each tick runs once
 * across every Studio process, and runs of one schedule never overlap. A
 * claimed run calls the plugin's `RunScheduledTask` with the schedule's
 * timeout as the gRPC deadline (the plugin's signal aborts at it: the run is
 * `timed_out`); a failure or timeout is retried `retries` times, each after
 * `retryBackoffMs` doubling. Ticks missed while no Studio ran are not caught
 * up: the next tick runs, and the history shows the gap.
 *
 * @example
 * const scheduler = new Scheduler({ db, logger, node: randomUUID(), plugins, writes: ctx.writes, changes: ctx.changes })
 * await scheduler.sync(plugin.id, plugin.name, manifest.schedules ?? [])  // on each (re)start of a Studio half
 * await scheduler.start()
 * // …
 * await scheduler.stop()
 */
export class Scheduler implements ScheduleOperations {
  readonly #jobs = new Map<string, Job>()
  readonly #inFlight = new Set<Promise<void>>()
  /** Aborts on `stop()`: no new claim or retry starts. */
  #stopping = new AbortController()
  /** Aborts when the grace of `stop()` is over: the runs still going are cancelled. */
  #lifetime = new AbortController()
  #started = false
  #refreshing: Promise<void> = Promise.resolve()
  #unsubscribe: (() => void) | undefined

  constructor(private readonly options: SchedulerOptions) {}

  /**
   * Stores a plugin's schedules as its manifest declares them (see
   * `syncSchedules`) and refreshes the job set. Never throws: what could not
   * be stored is returned (and logged), for the plugin's status.
   */
  async sync(pluginId: string, pluginName: string, schedules: readonly ManifestSchedule[]): Promise<ScheduleProblem[]> {
    const log = this.options.logger.child({ plugin: pluginName })
    try {
      const { problems, changed } = await syncSchedules(this.options.db, pluginId, Array.isArray(schedules) ? schedules : [])
      for (const problem of problems) log.warn({ schedule: problem.scheduleId, problem: problem.message }, 'manifest schedule not stored')
      if (changed) await this.refresh()
      return problems
    } catch (error) {
      log.error({ err: error }, 'could not store the schedules of a plugin')
      return [{ scheduleId: '*', message: `the schedules could not be stored: ${(error as Error).message}` }]
    }
  }

  /** Starts a job per enabled schedule; later schedule and plugin changes refresh them. Safe to call more than once. */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#stopping = new AbortController()
    this.#lifetime = new AbortController()
    this.#unsubscribe = this.options.changes.subscribe((change) => {
      if (change.type === 'schedule' || change.type === 'plugin' || change.action === 'resync') return this.refresh()
      return undefined
    })
    await this.refresh()
  }

  /**
   * Stops every job and the waiting retries, lets the runs in flight finish
   * for up to `stopGraceMs`, then cancels those still going (their plugins
   * see their signal abort; the runs are recorded failed), and resolves once
   * every run is recorded. Safe to call more than once.
   */
  async stop(): Promise<void> {
    this.#started = false
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    for (const job of this.#jobs.values()) job.cron.stop()
    this.#jobs.clear()
    this.#stopping.abort()
    await this.#refreshing
    const grace = new AbortController()
    const graceOver = pause(this.options.stopGraceMs ?? STOP_GRACE_MS, grace.signal).then(() => 'over' as const)
    while (this.#inFlight.size > 0) if ((await Promise.race([Promise.allSettled([...this.#inFlight]), graceOver])) === 'over') break
    grace.abort()
    this.#lifetime.abort()
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  /**
   * Makes the job set match the database: a job per enabled schedule of an
   * enabled plugin, replaced when its cron or time zone changed. Call when
   * the plugin directory's plugins changed; schedule writes call it
   * themselves. Serialised; never rejects.
   */
  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#reload()).catch((error: unknown) => this.options.logger.error({ err: error }, 'could not refresh the scheduled jobs'))
    return this.#refreshing
  }

  async list(plugin: string | undefined): Promise<ScheduleView[]> {
    let query = selectSchedules(this.options.db)
    if (plugin !== undefined) query = query.where('plugins.name', '=', plugin)
    return this.#present(await query.orderBy('schedules.created_at').orderBy('schedules.id').execute())
  }

  /** One page of schedules, for the admin API. */
  async page(query: ScheduleListQuery): Promise<PageOf<ScheduleView>> {
    let rows = selectSchedules(this.options.db)
    if (query.plugin !== undefined) rows = rows.where('plugins.name', '=', query.plugin)
    const page = await listPage(rows, { ...SCHEDULE_SORTS, idColumn: 'schedules.id', query })
    return { items: await this.#present(page.items), nextCursor: page.nextCursor }
  }

  async get(plugin: string | undefined, id: string): Promise<ScheduleView> {
    return (await this.#present([await this.#find(plugin, id)]))[0]!
  }

  async setEnabled(plugin: string | undefined, id: string, enabled: boolean, origin?: ScheduleWriteOrigin): Promise<ScheduleView> {
    const found = await this.#find(plugin, id)
    await this.options.writes.run({ actor: this.#actor(found, plugin, origin), action: 'update', type: 'schedule', requestId: origin?.requestId }, async (trx) => {
      await trx.updateTable('schedules').set({ enabled, updated_at: sql`now()` }).where('id', '=', found.id).execute()
      const shown = { plugin: found.plugin_name, scheduleId: found.schedule_id }
      return { id: found.id, before: { ...shown, enabled: found.enabled }, after: { ...shown, enabled }, result: undefined }
    })
    await this.refresh()
    return this.get(plugin, found.id)
  }

  /**
   * Runs a schedule now, outside its cron (also when disabled): resolves
   * with the run once claimed, while it runs on. Refuses with
   * SCHEDULE_RUN_IN_PROGRESS while a run of the schedule is running.
   */
  async runNow(plugin: string | undefined, id: string, origin?: ScheduleWriteOrigin): Promise<ScheduleRunView> {
    const found = await this.#find(plugin, id)
    const claim: RunClaim = { schedule: found.id, scheduledAt: new Date(), attempt: 1, trigger: 'manual', node: this.options.node }
    const claimed = await this.options.writes.run({ actor: this.#actor(found, plugin, origin), action: 'run', type: 'schedule', requestId: origin?.requestId }, async (trx) => {
      const outcome = await claimRun(trx, claim)
      if (outcome.kind === 'inactive') throw notFound('schedule', id)
      if (outcome.kind !== 'claimed') throw new StudioError('SCHEDULE_RUN_IN_PROGRESS', `schedule "${found.schedule_id}" was just started elsewhere; wait for that run to finish`)
      return { id: found.id, before: undefined, after: { plugin: found.plugin_name, scheduleId: found.schedule_id, runId: outcome.run.id }, result: outcome }
    })
    this.#track(this.#execute(claimed.run, claimed.schedule))
    return presentRun(claimed.run)
  }

  async runs(plugin: string | undefined, id: string, page: { limit?: number | undefined; cursor?: string | undefined; sort?: string | undefined }): Promise<PageOf<ScheduleRunView>> {
    const found = await this.#find(plugin, id)
    const rows = await listPage(this.options.db.selectFrom('schedule_runs').selectAll().where('schedule', '=', found.id), { ...RUN_SORTS, idColumn: 'id', query: page })
    return { items: rows.items.map(presentRun), nextCursor: rows.nextCursor }
  }

  async #reload(): Promise<void> {
    if (!this.#started) return
    const rows = await selectSchedules(this.options.db).where('schedules.enabled', '=', true).where('plugins.enabled', '=', true).execute()
    const wanted = new Map(rows.map((row) => [row.id, row]))
    for (const [id, job] of this.#jobs) {
      const row = wanted.get(id)
      if (row && patternOf(row) === job.pattern) continue
      job.cron.stop()
      this.#jobs.delete(id)
    }
    if (!this.#started) return
    for (const row of rows) if (!this.#jobs.has(row.id)) this.#jobs.set(row.id, this.#job(row))
  }

  #job(row: ScheduleRow): Job {
    // No `protect`: whether a run is still going is the database's to say, since it may be running on another process.
    const cron = new Cron(row.cron, { timezone: row.timezone, catch: (error) => this.options.logger.error({ err: error, schedule: row.id }, 'scheduled tick failed') }, () => this.#tick(row.id))
    return { cron, pattern: patternOf(row), pluginId: row.plugin_id, nextTick: cron.nextRun() }
  }

  #tick(scheduleId: string): void {
    const job = this.#jobs.get(scheduleId)
    if (!job) return
    const scheduledAt = truncateToSecond(job.nextTick ?? new Date())
    job.nextTick = job.cron.nextRun()
    this.#track(this.#attempt({ schedule: scheduleId, scheduledAt, attempt: 1, trigger: 'cron', node: this.options.node }, job.pluginId))
  }

  /** Claims a tick (or a retry) and runs it when this process got it. */
  async #attempt(claim: RunClaim, pluginId: string): Promise<void> {
    const signal = this.#stopping.signal
    if (!this.#studioHalf(pluginId) && !(await pause(this.options.absentClaimDelayMs ?? ABSENT_CLAIM_DELAY_MS, signal))) return
    if (signal.aborted) return
    const outcome = await this.options.db.transaction().execute((trx) => claimRun(trx, claim))
    if (outcome.kind === 'skipped') {
      this.options.logger.info({ schedule: claim.schedule, scheduledAt: claim.scheduledAt, reason: outcome.run.error }, 'scheduled tick skipped')
      await pruneRuns(this.options.db, claim.schedule)
    }
    if (outcome.kind === 'claimed') await this.#execute(outcome.run, outcome.schedule)
  }

  async #execute(run: Row<'schedule_runs'>, schedule: ScheduleRow): Promise<void> {
    const plugin = this.#studioHalf(schedule.plugin_id)
    const outcome: RunOutcome = plugin
      ? await this.#call(plugin.managed, run, schedule, this.#lifetime.signal)
      : { status: 'failed', error: `plugin "${schedule.plugin_name}" has no running Studio half on this Studio (node ${this.options.node}): the task was not run` }
    const finished = await finishRun(this.options.db, run, outcome)
    const log = this.options.logger.child({ plugin: schedule.plugin_name, schedule: schedule.schedule_id, run: run.id, attempt: run.attempt })
    if (finished.status === 'completed') log.info({ durationMs: finished.duration_ms }, 'scheduled task completed')
    else log.warn({ status: finished.status, error: finished.error, durationMs: finished.duration_ms }, 'scheduled task did not complete')

    const stopping = this.#stopping.signal
    if (finished.status === 'completed' || run.attempt > schedule.retries || stopping.aborted) return
    if (!(await pause(schedule.retry_backoff_ms * 2 ** (run.attempt - 1), stopping))) return
    await this.#attempt({ schedule: schedule.id, scheduledAt: run.scheduled_at, attempt: run.attempt + 1, trigger: 'retry', node: this.options.node }, schedule.plugin_id)
  }

  async #call(managed: ManagedPlugin, run: Row<'schedule_runs'>, schedule: ScheduleRow, signal: AbortSignal): Promise<RunOutcome> {
    const request = { scheduleId: schedule.schedule_id, runId: run.id, configJson: Buffer.from(JSON.stringify(schedule.config ?? null)), scheduledAtMs: run.scheduled_at.getTime() }
    try {
      // The timeout is the call's gRPC deadline: the plugin's signal aborts at it, so the work stops rather than running on unseen.
      const result = await managed.rpc('runScheduledTask', request, { deadlineMs: schedule.timeout_seconds * 1000, signal })
      const outputJson = outputOf(result.outputJson)
      return { status: 'completed', ...(outputJson !== undefined && { outputJson }) }
    } catch (error) {
      if ((error as { code?: string }).code === 'HOOK_DEADLINE_EXCEEDED') {
        return { status: 'timed_out', error: `did not finish within its timeout of ${schedule.timeout_seconds} s; the plugin was told to cancel it` }
      }
      if (signal.aborted) return { status: 'failed', error: `cancelled: Studio (node ${this.options.node}) stopped during the run` }
      return { status: 'failed', error: (error as Error).message || String(error) }
    }
  }

  /** The plugin's Studio half when it runs on this process. */
  #studioHalf(pluginId: string): ScheduledPlugin | undefined {
    const plugin = this.options.plugins.scheduledPlugins().find((candidate) => candidate.id === pluginId)
    return plugin?.managed.state === 'running' ? plugin : undefined
  }

  async #find(plugin: string | undefined, id: string): Promise<ScheduleRow> {
    let query = selectSchedules(this.options.db)
    // A plugin names its own schedules by its manifest's ids too; an admin by the row id only (manifest ids repeat across plugins).
    query = plugin === undefined ? query.where('schedules.id', '=', id) : query.where('plugins.name', '=', plugin).where((eb) => eb.or([eb('schedules.id', '=', id), eb('schedules.schedule_id', '=', id)]))
    const row = await query.executeTakeFirst()
    if (!row) throw notFound('schedule', id)
    return row
  }

  async #present(rows: ScheduleRow[]): Promise<ScheduleView[]> {
    if (rows.length === 0) return []
    const last = await this.options.db
      .selectFrom('schedule_runs')
      .selectAll()
      .distinctOn('schedule')
      .where(
        'schedule',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('schedule')
      .orderBy('scheduled_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
    const byId = new Map(last.map((run) => [run.schedule, run]))
    return rows.map((row) => presentSchedule(row, byId.get(row.id)))
  }

  #actor(found: ScheduleRow, plugin: string | undefined, origin: ScheduleWriteOrigin | undefined): Actor {
    if (origin) return origin.actor
    return plugin === undefined ? SYSTEM_ACTOR : { type: 'plugin', id: found.plugin_id, name: plugin }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.logger.error({ err: error }, 'scheduled run failed to be recorded'))
    this.#inFlight.add(tracked)
    void tracked.finally(() => this.#inFlight.delete(tracked))
  }
}

const patternOf = (row: Pick<Row<'schedules'>, 'cron' | 'timezone'>) => `${row.cron}\u0000${row.timezone}`

/** A task's output as stored: JSON text (a non-JSON answer as a JSON string), or a note of its size when too large. */
function outputOf(bytes: Buffer): string | undefined {
  if (bytes.length === 0) return undefined
  if (bytes.length > MAX_OUTPUT_BYTES) return JSON.stringify({ truncated: true, bytes: bytes.length, limit: MAX_OUTPUT_BYTES })
  const text = bytes.toString('utf8')
  try {
    JSON.parse(text)
    return text
  } catch {
    return JSON.stringify(text)
  }
}
