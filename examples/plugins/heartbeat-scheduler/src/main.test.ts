import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, type TestPlatform } from '@plugboard/studio/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

describe('heartbeat-scheduler in a real Studio', () => {
  let test: TestPlatform
  beforeAll(async () => {
    test = await startTestPlatform()
    await test.installPlugin('heartbeat', `file://${packageDir}`, { scopes: ['kv.readwrite'] })
  })
  afterAll(() => test?.close())

  it("shows its manifest's schedule in the scheduler", async () => {
    const schedules = await test.api('GET', '/schedules?plugin=heartbeat')
    expect(schedules.json.items).toEqual([expect.objectContaining({ plugin: 'heartbeat', scheduleId: 'heartbeat', cron: '* * * * *', timezone: 'UTC', timeoutSeconds: 10, enabled: true })])
  })

  it('writes a heartbeat when run now, which the admin RPC method last answers', async () => {
    expect((await test.api('POST', '/plugins/heartbeat/rpc/last', {})).json).toEqual({ result: null })
    const run = await test.runSchedule('heartbeat', 'heartbeat')
    expect(run).toMatchObject({ status: 'completed', output: { count: 1 } })
    const last = await test.api('POST', '/plugins/heartbeat/rpc/last', {})
    expect(last.status).toBe(200)
    expect(last.json.result).toMatchObject({ count: 1, runId: run.id, at: expect.any(String) })
    expect(Date.now() - Date.parse(last.json.result.at)).toBeLessThan(60_000)
  })
})
