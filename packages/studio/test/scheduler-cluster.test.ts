import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { ManagedPlugin, PluginHost } from '@plugboard/host'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type StudioDatabase } from '../src/db/database.js'
import type { ManifestSchedule } from '../src/plugins/plugin-runtime.js'
import type { Scheduler } from '../src/scheduler/scheduler.js'
import { directoryOf, invocations, newScheduler, PLUGIN_ID, PLUGIN_NAME, schedulerDatabase, sleep, startScheduledPlugin, type Invocation } from './scheduler-harness.js'

const TICKS = 5
const EVERY_SECOND: ManifestSchedule = { id: 'shared', name: 'Shared', cron: '* * * * * *', config: { behavior: 'slow', ms: 50 } }

/** Each tick of the run history ran exactly once, in exactly one plugin process, and nothing was skipped or failed. */
async function expectEachTickOnce(database: StudioDatabase, calls: Invocation[]): Promise<void> {
  const runs = await database.db.selectFrom('schedule_runs').selectAll().orderBy('scheduled_at').execute()
  expect(runs.length).toBeGreaterThanOrEqual(TICKS)
  expect(runs.every((run) => run.status === 'completed' && run.attempt === 1 && run.trigger === 'cron')).toBe(true)
  expect(new Set(runs.map((run) => run.scheduled_at.getTime())).size).toBe(runs.length)
  const ran = calls.filter((call) => call.scheduleId === EVERY_SECOND.id)
  expect(ran.map((call) => call.runId).sort()).toEqual(runs.map((run) => run.id).sort())
  expect(new Set(ran.map((call) => call.scheduledAt)).size).toBe(ran.length)
}

describe('two Studio processes on one PostgreSQL database', () => {
  let closeDatabase: () => Promise<void>
  let database: StudioDatabase
  let url: string

  beforeAll(async () => {
    const opened = await schedulerDatabase('postgres')
    database = opened.database
    url = opened.url!
    closeDatabase = opened.close
  })
  afterAll(async () => closeDatabase?.())

  describe('as two Schedulers with their own pools and plugin processes', () => {
    const nodes: Array<{ host: PluginHost; managed: ManagedPlugin; database: StudioDatabase; scheduler: Scheduler }> = []
    beforeAll(async () => {
      for (let i = 0; i < 2; i++) {
        const { host, managed } = await startScheduledPlugin()
        const own = await openDatabase({ url })
        nodes.push({ host, managed, database: own, scheduler: newScheduler(own, directoryOf(managed, [EVERY_SECOND])) })
      }
    })
    afterAll(async () => {
      for (const node of nodes) {
        await node.scheduler.stop()
        await node.host.shutdown()
        await node.database.close()
      }
    })

    it('runs each tick once across both', async () => {
      await database.db.deleteFrom('schedules').execute()
      for (const node of nodes) expect(await node.scheduler.sync(PLUGIN_ID, PLUGIN_NAME, [EVERY_SECOND])).toEqual([])
      await Promise.all(nodes.map((node) => node.scheduler.start()))
      await sleep(TICKS * 1000 + 500)
      await Promise.all(nodes.map((node) => node.scheduler.stop()))
      const calls = (await Promise.all(nodes.map((node) => invocations(node.managed)))).flat()
      await expectEachTickOnce(database, calls)
    })

    it('lets only one of two simultaneous run-nows start', async () => {
      await database.db.deleteFrom('schedules').execute()
      const slow = { id: 'slow', name: 'Slow', cron: '0 0 1 1 *', config: { behavior: 'slow', ms: 1000 } }
      for (const node of nodes) await node.scheduler.sync(PLUGIN_ID, PLUGIN_NAME, [slow])
      // Started again (the test before stopped them): a stopped scheduler cancels a run-now at once, which would let the other start one.
      await Promise.all(nodes.map((node) => node.scheduler.start()))
      const results = await Promise.allSettled(nodes.map((node) => node.scheduler.runNow(PLUGIN_NAME, 'slow')))
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
      const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult
      expect(refused.reason).toMatchObject({ code: 'SCHEDULE_RUN_IN_PROGRESS' })
      await Promise.all(nodes.map((node) => node.scheduler.stop()))
    })
  })

  describe('as two OS processes', () => {
    const children: ChildProcessWithoutNullStreams[] = []
    afterAll(() => {
      for (const child of children) child.kill('SIGKILL')
    })

    /** Starts a node (fixtures/scheduler-node.mjs over the built package); resolves its stdout lines as JSON. */
    async function startNode(): Promise<AsyncIterator<string>> {
      const child = spawn(process.execPath, [new URL('./fixtures/scheduler-node.mjs', import.meta.url).pathname], {
        env: { ...process.env, SCHED_DATABASE_URL: url, SCHED_PLUGIN_ID: PLUGIN_ID, SCHED_PLUGIN_NAME: PLUGIN_NAME, SCHED_SCHEDULES: JSON.stringify([EVERY_SECOND]) },
      })
      children.push(child)
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
      const first = await lines.next()
      if (first.done) throw new Error(`the scheduler node exited: ${stderr}`)
      expect(JSON.parse(first.value)).toEqual({ ready: true, problems: [] })
      return lines
    }

    it('runs each tick once across both (rows and plugin calls counted)', async () => {
      await database.db.deleteFrom('schedules').execute()
      const lines = await Promise.all([startNode(), startNode()])
      await sleep(TICKS * 1000 + 500)
      const reports = await Promise.all(
        lines.map(async (node, i) => {
          children[i]!.stdin.write('report\n')
          const line = await node.next()
          return (JSON.parse(line.value as string) as { invocations: Invocation[] }).invocations
        }),
      )
      const calls = reports.flat()
      await expectEachTickOnce(database, calls)
      expect(new Set(calls.map((call) => call.pid)).size).toBeGreaterThanOrEqual(1)
    })
  })
})
