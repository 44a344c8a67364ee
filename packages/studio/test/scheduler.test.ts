import type { ManagedPlugin, PluginHost } from '@plugboard/host'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { StudioDatabase } from '../src/db/database.js'
import type { Row } from '../src/db/schema.js'
import type { ManifestSchedule } from '../src/plugins/plugin-runtime.js'
import { RUNS_KEPT_PER_SCHEDULE } from '../src/scheduler/run-claims.js'
import type { Scheduler } from '../src/scheduler/scheduler.js'
import { DATABASES } from './helpers.js'
import { directoryOf, invocations, newScheduler, PLUGIN_ID, PLUGIN_NAME, schedulerDatabase, sleep, startScheduledPlugin, waitUntil } from './scheduler-harness.js'

const EVERY_SECOND = '* * * * * *'
/** Never fires during a test: for schedules run by run-now only. */
const YEARLY = '0 0 1 1 *'

describe.each(DATABASES)('scheduled tasks on %s', (kind) => {
  let host: PluginHost
  let managed: ManagedPlugin
  let database: StudioDatabase
  let closeDatabase: () => Promise<void>
  let scheduler: Scheduler | undefined

  beforeAll(async () => {
    ;({ host, managed } = await startScheduledPlugin())
    const opened = await schedulerDatabase(kind)
    database = opened.database
    closeDatabase = opened.close
  })
  afterEach(async () => {
    await scheduler?.stop()
    scheduler = undefined
  })
  afterAll(async () => {
    await host?.shutdown()
    await closeDatabase?.()
  })

  /** A started scheduler with `schedules` as the plugin's manifest declares them. */
  async function scheduled(schedules: ManifestSchedule[], directory = directoryOf(managed, schedules)): Promise<Scheduler> {
    scheduler = newScheduler(database, directory, { absentClaimDelayMs: 100 })
    expect(await scheduler.sync(PLUGIN_ID, PLUGIN_NAME, schedules)).toEqual([])
    await scheduler.start()
    return scheduler
  }

  const rowOf = async (scheduleId: string) => database.db.selectFrom('schedules').selectAll().where('plugin_id', '=', PLUGIN_ID).where('schedule_id', '=', scheduleId).executeTakeFirstOrThrow()
  const runsOf = async (scheduleId: string): Promise<Row<'schedule_runs'>[]> => {
    const schedule = await rowOf(scheduleId)
    return database.db.selectFrom('schedule_runs').selectAll().where('schedule', '=', schedule.id).orderBy('scheduled_at').orderBy('id').execute()
  }
  const runsWhere = (scheduleId: string, accept: (runs: Row<'schedule_runs'>[]) => boolean, timeoutMs = 10_000) =>
    waitUntil(async () => {
      const runs = await runsOf(scheduleId)
      return accept(runs) && runs
    }, timeoutMs, `runs of ${scheduleId}`)

  it('runs a cron tick in the plugin and records it completed, with its output', async () => {
    await scheduled([{ id: 'ok', name: 'OK', cron: EVERY_SECOND, config: { behavior: 'ok', n: 1 } }])
    const runs = await runsWhere('ok', (runs) => runs.filter((run) => run.status === 'completed').length >= 2)
    const run = runs.find((run) => run.status === 'completed')!
    expect(run).toMatchObject({ attempt: 1, trigger: 'cron', error: null, output: { ok: true, runId: run.id, pid: managed.pid } })
    expect(run.scheduled_at.getMilliseconds()).toBe(0)
    expect(run.duration_ms).toBeGreaterThanOrEqual(0)
    expect(run.finished_at!.getTime()).toBeGreaterThanOrEqual(run.started_at!.getTime())
    const calls = await invocations(managed, 'ok')
    const call = calls.find((c) => c.runId === run.id)!
    expect(call).toMatchObject({ scheduledAt: run.scheduled_at.getTime(), config: { behavior: 'ok', n: 1 } })

    const [view] = await scheduler!.list(PLUGIN_NAME)
    expect(view).toMatchObject({ plugin: PLUGIN_NAME, scheduleId: 'ok', name: 'OK', cron: EVERY_SECOND, timezone: 'UTC', enabled: true, timeoutSeconds: 60 })
    expect(Date.parse(view!.nextRunAt!)).toBeGreaterThan(Date.now() - 1000)
    expect(view!.lastRun).not.toBeNull()
  })

  it('records a task that throws as failed, with its error', async () => {
    await scheduled([{ id: 'throws', name: 'Throws', cron: EVERY_SECOND, config: { behavior: 'throw', message: 'the disk is full' } }])
    const [run] = await runsWhere('throws', (runs) => runs.some((run) => run.status === 'failed'))
    expect(run).toMatchObject({ status: 'failed', attempt: 1 })
    expect(run!.error).toContain('the disk is full')
  })

  it('cancels a task that outlives its timeout through its deadline: timed_out, and the plugin saw its signal abort', async () => {
    await scheduled([{ id: 'hangs', name: 'Hangs', cron: EVERY_SECOND, timeoutSeconds: 1, config: { behavior: 'hang' } }])
    const runs = await runsWhere('hangs', (runs) => runs.some((run) => run.status === 'timed_out'))
    const run = runs.find((run) => run.status === 'timed_out')!
    expect(run.error).toMatch(/timeout of 1 s/)
    expect(run.duration_ms).toBeGreaterThanOrEqual(950)
    expect(run.duration_ms).toBeLessThan(3000)
    const call = await waitUntil(async () => (await invocations(managed, 'hangs')).find((c) => c.runId === run.id && c.abortedAfterMs !== undefined), 5000, 'the plugin to see the cancel')
    expect(call.abortedAfterMs).toBeGreaterThanOrEqual(900)
    expect(call.abortedAfterMs).toBeLessThan(2500)
  })

  it('never overlaps runs of one schedule: ticks during a slow run are recorded skipped', async () => {
    await scheduled([{ id: 'slow', name: 'Slow', cron: EVERY_SECOND, timeoutSeconds: 10, config: { behavior: 'slow', ms: 2500 } }])
    const runs = await runsWhere('slow', (runs) => runs.some((run) => run.status === 'completed') && runs.filter((run) => run.status === 'skipped').length >= 2, 12_000)
    const first = runs.find((run) => run.status === 'completed')!
    const skipped = runs.filter((run) => run.status === 'skipped')
    expect(skipped[0]!.error).toBe(`run ${first.id} of this schedule was still running`)
    expect(skipped.every((run) => run.trigger === 'cron' && run.duration_ms === 0)).toBe(true)
    const calls = await invocations(managed, 'slow')
    expect(calls.some((call) => call.overlapping)).toBe(false)
    expect(calls.length).toBe(runs.filter((run) => run.status !== 'skipped').length)
  })

  it('retries a failed run with exponential backoff, as new attempts of the same tick', async () => {
    const s = await scheduled([{ id: 'flaky', name: 'Flaky', cron: YEARLY, retries: 3, retryBackoffMs: 300, config: { behavior: 'fail-times', failTimes: 2 } }])
    const started = await s.runNow(PLUGIN_NAME, 'flaky')
    expect(started).toMatchObject({ status: 'running', trigger: 'manual', attempt: 1 })
    const runs = await runsWhere('flaky', (runs) => runs.some((run) => run.status === 'completed'))
    expect(runs.map((run) => [run.attempt, run.trigger, run.status])).toEqual([
      [1, 'manual', 'failed'],
      [2, 'retry', 'failed'],
      [3, 'retry', 'completed'],
    ])
    expect(new Set(runs.map((run) => run.scheduled_at.getTime())).size).toBe(1)
    const gap = (a: Row<'schedule_runs'>, b: Row<'schedule_runs'>) => b.started_at!.getTime() - a.finished_at!.getTime()
    expect(gap(runs[0]!, runs[1]!)).toBeGreaterThanOrEqual(290)
    expect(gap(runs[1]!, runs[2]!)).toBeGreaterThanOrEqual(590)
    expect(runs[1]!.error).toContain('attempt 2 failed on purpose')
  })

  it('gives up after the last retry', async () => {
    const s = await scheduled([{ id: 'broken', name: 'Broken', cron: YEARLY, retries: 1, retryBackoffMs: 50, config: { behavior: 'throw' } }])
    await s.runNow(PLUGIN_NAME, 'broken')
    await runsWhere('broken', (runs) => runs.length === 2 && runs.every((run) => run.status === 'failed'))
    await sleep(400)
    expect(await runsOf('broken')).toHaveLength(2)
  })

  it('lets a run in flight finish when it stops, within its grace', async () => {
    const s = await scheduled([{ id: 'finishing', name: 'Finishing', cron: YEARLY, config: { behavior: 'slow', ms: 600 } }])
    const started = await s.runNow(PLUGIN_NAME, 'finishing')
    await sleep(100)
    await s.stop()
    const [run] = await runsOf('finishing')
    expect(run).toMatchObject({ id: started.id, status: 'completed', error: null })
  })

  it('cancels the runs still going when its grace is over, and records them failed', async () => {
    const stuck: ManifestSchedule[] = [{ id: 'stuck', name: 'Stuck', cron: YEARLY, timeoutSeconds: 30, config: { behavior: 'hang' } }]
    scheduler = newScheduler(database, directoryOf(managed, stuck), { stopGraceMs: 300 })
    expect(await scheduler.sync(PLUGIN_ID, PLUGIN_NAME, stuck)).toEqual([])
    await scheduler.start()
    const started = await scheduler.runNow(PLUGIN_NAME, 'stuck')
    const stopping = Date.now()
    await scheduler.stop()
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(290)
    expect(Date.now() - stopping).toBeLessThan(5000)
    const [run] = await runsOf('stuck')
    expect(run).toMatchObject({ id: started.id, status: 'failed' })
    expect(run!.error).toMatch(/^cancelled: Studio \(node .+\) stopped during the run$/)
    const call = await waitUntil(async () => (await invocations(managed, 'stuck')).find((c) => c.runId === run!.id && c.abortedAfterMs !== undefined), 5000, 'the plugin to see the cancel')
    expect(call.abortedAfterMs).toBeGreaterThanOrEqual(250)
  })

  it('runs a schedule now, and refuses a second run-now while one is running', async () => {
    const s = await scheduled([{ id: 'manual', name: 'Manual', cron: YEARLY, config: { behavior: 'slow', ms: 800 } }])
    const [schedule] = await s.list(PLUGIN_NAME)
    const run = await s.runNow(undefined, schedule!.id)
    expect(run).toMatchObject({ scheduleId: schedule!.id, status: 'running', trigger: 'manual', attempt: 1, finishedAt: null })
    await expect(s.runNow(PLUGIN_NAME, 'manual')).rejects.toMatchObject({ code: 'SCHEDULE_RUN_IN_PROGRESS', status: 409 })
    const [done] = await runsWhere('manual', (runs) => runs[0]?.status === 'completed')
    expect(done!.id).toBe(run.id)
    expect((await s.runNow(PLUGIN_NAME, 'manual')).status).toBe('running')
    const audit = await database.db.selectFrom('audit_log').selectAll().where('object_type', '=', 'schedule').where('action', '=', 'run').where('object_id', '=', schedule!.id).execute()
    // The refused run-now rolled back with its audit entry.
    expect(audit.map((entry) => entry.actor_type).sort()).toEqual(['plugin', 'system'])
    expect(audit.find((entry) => entry.actor_type === 'plugin')).toMatchObject({ actor_name: PLUGIN_NAME, object_id: schedule!.id })
  })

  it('stops the ticks of a disabled schedule, and keeps the admin’s choice across a manifest sync', async () => {
    const schedules = [{ id: 'toggled', name: 'Toggled', cron: EVERY_SECOND, config: { behavior: 'ok' } }]
    const s = await scheduled(schedules)
    await runsWhere('toggled', (runs) => runs.some((run) => run.status === 'completed'))
    const view = await s.setEnabled(undefined, (await rowOf('toggled')).id, false)
    expect(view).toMatchObject({ enabled: false, nextRunAt: null })
    await sleep(300)
    const before = (await runsOf('toggled')).length
    await sleep(2200)
    expect((await runsOf('toggled')).length).toBe(before)

    // The manifest changes the cron: the row follows it, and stays disabled.
    expect(await s.sync(PLUGIN_ID, PLUGIN_NAME, [{ ...schedules[0]!, cron: '*/2 * * * * *' }])).toEqual([])
    expect(await rowOf('toggled')).toMatchObject({ cron: '*/2 * * * * *', enabled: false })
    await sleep(2200)
    expect((await runsOf('toggled')).length).toBe(before)
    const audit = await database.db.selectFrom('audit_log').selectAll().where('object_type', '=', 'schedule').where('action', '=', 'update').execute()
    expect(audit.at(-1)).toMatchObject({ actor_type: 'system', before: { enabled: true }, after: { enabled: false } })
  })

  it('reports an invalid cron or time zone and stores the valid schedules only; removed ones are deleted', async () => {
    scheduler = newScheduler(database, directoryOf(managed))
    const problems = await scheduler.sync(PLUGIN_ID, PLUGIN_NAME, [
      { id: 'bad-cron', name: 'Bad', cron: 'every tuesday' },
      { id: 'bad-zone', name: 'Zone', cron: '0 * * * *', timezone: 'Mars/Olympus_Mons' },
      { id: 'never', name: 'Never', cron: '0 0 30 2 *' },
      { id: 'bad-timeout', name: 'Timeout', cron: '0 * * * *', timeoutSeconds: -1 },
      { id: 'good', name: 'Good', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
      { id: 'good', name: 'Twice', cron: '0 * * * *' },
    ])
    expect(problems.map((p) => p.scheduleId)).toEqual(['bad-cron', 'bad-zone', 'never', 'bad-timeout', 'good'])
    expect(problems[1]!.message).toMatch(/Mars\/Olympus_Mons/)
    const views = await scheduler.list(PLUGIN_NAME)
    expect(views.map((view) => view.scheduleId)).toEqual(['good'])
    expect(views[0]).toMatchObject({ timezone: 'Europe/Berlin', cron: '0 9 * * 1-5' })

    expect(await scheduler.sync(PLUGIN_ID, PLUGIN_NAME, [])).toEqual([])
    expect(await scheduler.list(PLUGIN_NAME)).toEqual([])
  })

  it('records a tick failed when the plugin has no running Studio half here', async () => {
    const directory = directoryOf(managed)
    directory.present = false
    await scheduled([{ id: 'absent', name: 'Absent', cron: EVERY_SECOND, config: { behavior: 'ok' } }], directory)
    const [run] = await runsWhere('absent', (runs) => runs.length > 0 && runs[0]!.status === 'failed')
    expect(run!.error).toMatch(/plugin "scheduled" has no running Studio half/)
    expect(await invocations(managed, 'absent')).toEqual([])
  })

  it('does not catch up ticks missed while no Studio ran: the next tick runs, and the history shows the gap', async () => {
    const schedules = [{ id: 'gap', name: 'Gap', cron: EVERY_SECOND, config: { behavior: 'ok' } }]
    const s = await scheduled(schedules)
    await runsWhere('gap', (runs) => runs.some((run) => run.status === 'completed'))
    await s.stop()
    const stoppedAt = Date.now()
    await sleep(3000)
    const restartedAt = Date.now()
    await s.start()
    const runs = await runsWhere('gap', (runs) => runs.some((run) => run.started_at!.getTime() >= restartedAt && run.status === 'completed'))
    const ticks = runs.map((run) => run.scheduled_at.getTime())
    expect(ticks.filter((tick) => tick > stoppedAt && tick < restartedAt - 1000)).toEqual([])
    const after = runs.filter((run) => run.started_at!.getTime() >= restartedAt)
    expect(after.every((run) => run.scheduled_at.getTime() >= restartedAt - 1000)).toBe(true)
  })

  it(`keeps at most ${RUNS_KEPT_PER_SCHEDULE} runs of a schedule`, async () => {
    const s = await scheduled([{ id: 'pruned', name: 'Pruned', cron: YEARLY, config: { behavior: 'ok' } }])
    const schedule = await rowOf('pruned')
    const old = Array.from({ length: RUNS_KEPT_PER_SCHEDULE + 5 }, (_, i) => ({
      id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
      schedule: schedule.id,
      scheduled_at: new Date(Date.UTC(2020, 0, 1) + i * 1000),
      trigger: 'cron' as const,
      status: 'completed' as const,
    }))
    await database.db.insertInto('schedule_runs').values(old).execute()
    const run = await s.runNow(PLUGIN_NAME, 'pruned')
    const runs = await runsWhere('pruned', (runs) => runs.some((r) => r.id === run.id && r.status === 'completed'))
    expect(runs).toHaveLength(RUNS_KEPT_PER_SCHEDULE)
    expect(runs[0]!.scheduled_at.getTime()).toBe(Date.UTC(2020, 0, 1) + 6 * 1000)
    const page = await s.runs(PLUGIN_NAME, 'pruned', { limit: 2 })
    expect(page.items.map((r) => r.id)).toEqual([run.id, old.at(-1)!.id])
    const next = await s.runs(PLUGIN_NAME, 'pruned', { limit: 2, cursor: page.nextCursor! })
    expect(next.items.map((r) => r.id)).toEqual([old.at(-2)!.id, old.at(-3)!.id])
  })
})
