import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { HeartbeatScheduler } from './heartbeat-scheduler.js'

const at = new Date('2026-01-02T03:04:00.000Z')
const scheduler = (scopes: Array<'kv.readwrite'> = ['kv.readwrite']) => createTestHost(new HeartbeatScheduler(() => at), { runtime: 'studio', scopes })

describe('HeartbeatScheduler (in-process)', () => {
  it('declares its schedule, its scope and the admin RPC method it answers', async () => {
    const host = await scheduler()
    expect(host.manifest()).toMatchObject({
      runtimes: ['studio'],
      capabilities: expect.arrayContaining(['scheduler', 'ui_provider']),
      permissions: { services: ['kv.readwrite'] },
      schedules: [{ id: 'heartbeat', name: 'Heartbeat', cron: '* * * * *', timezone: 'UTC', timeoutSeconds: 10 }],
      ui: { rpc: ['last'] },
    })
  })

  it('answers null before the first run', async () => {
    const host = await scheduler()
    expect(await host.uiRpc('last')).toEqual({ result: null })
  })

  it('writes { at, count, runId } on each run, counting up, and returns it as the output', async () => {
    const host = await scheduler()
    expect(await host.scheduledTask({ scheduleId: 'heartbeat', runId: 'run-1' })).toEqual({ at: at.toISOString(), count: 1, runId: 'run-1' })
    await host.scheduledTask({ scheduleId: 'heartbeat', runId: 'run-2' })
    expect(JSON.parse((await host.kv.get('heartbeat'))!.toString())).toEqual({ at: at.toISOString(), count: 2, runId: 'run-2' })
    expect(await host.uiRpc('last')).toEqual({ result: { at: at.toISOString(), count: 2, runId: 'run-2' } })
  })

  it('answers null for a stored value that is not a heartbeat, and fails a run whose counter is not one', async () => {
    const host = await scheduler()
    await host.kv.set('heartbeat', '{"count":"lots"}')
    expect(await host.uiRpc('last')).toEqual({ result: null })
    await host.kv.set('heartbeat-count', 'many')
    await expect(host.scheduledTask({ scheduleId: 'heartbeat', runId: 'r' })).rejects.toMatchObject({ code: 'KV_NOT_A_COUNTER' })
  })

  it('refuses a schedule and an RPC method it does not have', async () => {
    const host = await scheduler()
    await expect(host.scheduledTask({ scheduleId: 'x'.repeat(10_000) })).rejects.toMatchObject({ code: 'SCHEDULE_UNKNOWN' })
    expect(await host.uiRpc('drop')).toEqual({ error: { code: 'RPC_METHOD_UNKNOWN', message: expect.stringContaining('"last", not "drop"') } })
  })

  it('fails the run with SCOPE_DENIED without kv.readwrite', async () => {
    const host = await scheduler([])
    await expect(host.scheduledTask({ scheduleId: 'heartbeat' })).rejects.toMatchObject({ code: 'SCOPE_DENIED' })
  })
})
