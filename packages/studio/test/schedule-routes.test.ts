import type { ManagedPlugin, PluginHost } from '@plugboard/host'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapAdmin } from '../src/accounts/bootstrap.js'
import { Authenticator } from '../src/api/auth.js'
import { createApi, type Api } from '../src/api/server.js'
import type { StudioDatabase } from '../src/db/database.js'
import { registerScheduleRoutes } from '../src/scheduler/schedule-routes.js'
import type { Scheduler } from '../src/scheduler/scheduler.js'
import { ADMIN } from './helpers.js'
import { directoryOf, newScheduler, PLUGIN_ID, PLUGIN_NAME, schedulerDatabase, startScheduledPlugin, waitUntil } from './scheduler-harness.js'

describe('the schedules admin API', () => {
  let host: PluginHost
  let managed: ManagedPlugin
  let database: StudioDatabase
  let closeDatabase: () => Promise<void>
  let scheduler: Scheduler
  let app: Api
  let scheduleId: string

  const api = async (method: 'GET' | 'PATCH' | 'POST', url: string, body?: unknown) => {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    })
    return { status: response.statusCode, json: JSON.parse(response.body) }
  }

  beforeAll(async () => {
    ;({ host, managed } = await startScheduledPlugin())
    ;({ database, close: closeDatabase } = await schedulerDatabase('pglite'))
    await bootstrapAdmin(database.db, { PLUGBOARD_ADMIN_EMAIL: ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: ADMIN.password, PLUGBOARD_ADMIN_TOKEN: ADMIN.token })
    const schedules = [
      { id: 'nightly', name: 'Nightly', cron: '0 3 * * *', timezone: 'Europe/Paris', config: { behavior: 'slow', ms: 600 } },
      { id: 'hourly', name: 'Hourly', cron: '0 * * * *', config: { behavior: 'ok' } },
    ]
    scheduler = newScheduler(database, directoryOf(managed, schedules))
    await scheduler.sync(PLUGIN_ID, PLUGIN_NAME, schedules)
    await scheduler.start()
    const logger = pino({ level: 'silent' })
    ;({ app } = await createApi({ logger, auth: new Authenticator(database.db), info: { title: 'test', version: '0' } }))
    registerScheduleRoutes(app, scheduler)
    await app.ready()
    scheduleId = (await scheduler.list(PLUGIN_NAME)).find((view) => view.scheduleId === 'nightly')!.id
  })
  afterAll(async () => {
    await scheduler?.stop()
    await app?.close()
    await host?.shutdown()
    await closeDatabase?.()
  })

  it('lists schedules, filtered by plugin and paged', async () => {
    const first = await api('GET', '/api/v1/schedules?limit=1&sort=name')
    expect(first.status).toBe(200)
    expect(first.json.items.map((s: { scheduleId: string }) => s.scheduleId)).toEqual(['hourly'])
    const second = await api('GET', `/api/v1/schedules?limit=1&sort=name&cursor=${first.json.nextCursor}`)
    expect(second.json).toMatchObject({ items: [{ scheduleId: 'nightly', plugin: PLUGIN_NAME, timezone: 'Europe/Paris', enabled: true, lastRun: null }], nextCursor: null })
    expect((await api('GET', '/api/v1/schedules?plugin=other')).json.items).toEqual([])
    expect((await api('GET', '/api/v1/schedules?sort=cron')).json.error.code).toBe('VALIDATION_FAILED')
  })

  it('gets one schedule with its next tick in its time zone, or 404', async () => {
    const { status, json } = await api('GET', `/api/v1/schedules/${scheduleId}`)
    expect(status).toBe(200)
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    expect(new Date(json.nextRunAt).getUTCHours()).toBeOneOf([1, 2])
    expect((await api('GET', '/api/v1/schedules/nope')).json.error.code).toBe('NOT_FOUND')
  })

  it('disables and enables a schedule, audited with the admin as actor; other fields are refused', async () => {
    const off = await api('PATCH', `/api/v1/schedules/${scheduleId}`, { enabled: false })
    expect(off.status).toBe(200)
    expect(off.json).toMatchObject({ enabled: false, nextRunAt: null })
    expect((await api('PATCH', `/api/v1/schedules/${scheduleId}`, { enabled: true })).json.enabled).toBe(true)
    const refused = await api('PATCH', `/api/v1/schedules/${scheduleId}`, { cron: '* * * * *' })
    expect(refused.status).toBe(422)
    expect(refused.json.error.details).toContainEqual({ path: '/cron', message: 'is not a known field' })
    const audit = await database.db.selectFrom('audit_log').selectAll().where('object_type', '=', 'schedule').where('object_id', '=', scheduleId).orderBy('id').execute()
    expect(audit.map((entry) => [entry.actor_type, entry.action, (entry.after as { enabled: boolean }).enabled])).toEqual([
      ['token', 'update', false],
      ['token', 'update', true],
    ])
  })

  it('runs a schedule now (202), refuses a second while it runs (409), and lists its runs newest first', async () => {
    const started = await api('POST', `/api/v1/schedules/${scheduleId}/run`)
    expect(started.status).toBe(202)
    expect(started.json).toMatchObject({ scheduleId, status: 'running', trigger: 'manual', attempt: 1 })
    const again = await api('POST', `/api/v1/schedules/${scheduleId}/run`)
    expect(again.status).toBe(409)
    expect(again.json.error).toMatchObject({ code: 'SCHEDULE_RUN_IN_PROGRESS', details: [{ path: '/runId', message: started.json.id }] })
    await waitUntil(async () => (await api('GET', `/api/v1/schedules/${scheduleId}/runs`)).json.items[0]?.status === 'completed', 5000, 'the run')
    const second = await api('POST', `/api/v1/schedules/${scheduleId}/run`)
    expect(second.status).toBe(202)
    const page = await api('GET', `/api/v1/schedules/${scheduleId}/runs?limit=1`)
    expect(page.json.items.map((run: { id: string }) => run.id)).toEqual([second.json.id])
    const rest = await api('GET', `/api/v1/schedules/${scheduleId}/runs?limit=1&cursor=${page.json.nextCursor}`)
    expect(rest.json.items[0]).toMatchObject({ id: started.json.id, status: 'completed', output: { ok: true } })
    expect((await api('GET', `/api/v1/schedules/${scheduleId}`)).json.lastRun.id).toBe(second.json.id)
  })
})
