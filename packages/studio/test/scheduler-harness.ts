import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PluginHost, type ManagedPlugin } from '@plugboard/host'
import { pino } from 'pino'
import { ChangeFeed } from '../src/api/changes.js'
import { Writes } from '../src/api/writes.js'
import { openDatabase, type StudioDatabase } from '../src/db/database.js'
import type { ManifestSchedule, PluginDirectory, ScheduledPlugin } from '../src/plugins/plugin-runtime.js'
import { Scheduler, type SchedulerOptions } from '../src/scheduler/scheduler.js'
import { scratchPostgres } from '../src/testing.js'
import type { DatabaseKind } from './helpers.js'

export const SCHEDULED_PLUGIN = new URL('./fixtures/scheduled-plugin.mjs', import.meta.url).href
export const PLUGIN_ID = 'plg_scheduled'
export const PLUGIN_NAME = 'scheduled'

/** What the fixture plugin remembers of each call (see fixtures/scheduled-plugin.mjs). */
export interface Invocation {
  pid: number
  scheduleId: string
  runId: string
  scheduledAt: number
  config: unknown
  startedAt: number
  finishedAt?: number
  overlapping: boolean
  abortedAfterMs?: number
}

/** The fixture plugin's Studio half, started by a real PluginHost. */
export async function startScheduledPlugin(): Promise<{ host: PluginHost; managed: ManagedPlugin }> {
  const host = new PluginHost({ runtime: 'studio', logger: pino({ level: 'silent' }) })
  const managed = await host.load({ name: PLUGIN_NAME, source: SCHEDULED_PLUGIN, healthIntervalMs: 0 })
  return { host, managed }
}

export async function invocations(managed: ManagedPlugin, scheduleId?: string): Promise<Invocation[]> {
  const response = await managed.rpc('handleUiRpc', { method: 'invocations', payloadJson: Buffer.from('null'), groups: [] }, { deadlineMs: 5000 })
  const all = JSON.parse(response.resultJson.toString('utf8')) as Invocation[]
  return scheduleId === undefined ? all : all.filter((call) => call.scheduleId === scheduleId)
}

/** A plugin directory over one running plugin (or none), as StudioPlugins gives the scheduler. */
export function directoryOf(managed: ManagedPlugin | undefined, schedules: ManifestSchedule[] = []): PluginDirectory & { present: boolean } {
  const directory = {
    present: true,
    objectHookBindings: () => [],
    scheduledPlugins: (): ScheduledPlugin[] => (managed && directory.present ? [{ id: PLUGIN_ID, name: PLUGIN_NAME, managed, schedules }] : []),
    studioHalf: (name: string) => (name === PLUGIN_NAME && directory.present ? managed : undefined),
    manifestOf: () => undefined,
  }
  return directory
}

/** A database of `kind` with the fixture plugin installed; `url` is set for PostgreSQL (to open it again). */
export async function schedulerDatabase(kind: DatabaseKind): Promise<{ database: StudioDatabase; url: string | undefined; close: () => Promise<void> }> {
  const postgres = kind === 'postgres' ? await scratchPostgres('pb_sched') : undefined
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-sched-'))
  const database = await openDatabase(postgres ? { url: postgres.url } : { dataDir })
  await database.db.insertInto('plugins').values({ id: PLUGIN_ID, name: PLUGIN_NAME, spec: JSON.stringify({ source: SCHEDULED_PLUGIN }) }).execute()
  return {
    database,
    url: postgres?.url,
    close: async () => {
      await database.close()
      await postgres?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A Scheduler as a Studio process makes one: its own node id, write path and change feed. */
export function newScheduler(database: StudioDatabase, plugins: PluginDirectory, extra: Partial<SchedulerOptions> = {}): Scheduler {
  const changes = new ChangeFeed()
  return new Scheduler({ db: database.db, logger: pino({ level: 'silent' }), node: randomUUID(), plugins, writes: new Writes(database.db, changes), changes, ...extra })
}

export async function waitUntil<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
