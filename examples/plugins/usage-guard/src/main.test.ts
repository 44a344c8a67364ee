import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, type TestPlatform } from '@plugboard/studio/testing'

const source = `file://${fileURLToPath(new URL('..', import.meta.url))}`
const KEY = 'pb-usage-guard-demo-key-01'
const LIMIT = 3

describe('usage-guard in both runtimes of a real platform', () => {
  let test: TestPlatform
  const chat = async () => {
    const response = await fetch(`${test.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }),
    })
    return { status: response.status, headers: response.headers, json: (await response.json()) as { error?: Record<string, unknown> } }
  }
  const usage = async () => (await test.api('POST', '/plugins/usage-guard/rpc/usage', {})).json.result

  beforeAll(async () => {
    test = await startTestPlatform()
    const applied = await test.api('POST', '/config/apply', {
      llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }],
      apps: [{ id: 'demo', keys: [{ value: KEY }], allowedLlms: ['mock'] }],
    })
    expect(applied.json.error).toBeUndefined()
    await test.installPlugin('usage-guard', source, {
      scopes: ['events.publish', 'events.subscribe', 'kv.readwrite'],
      topics: { publish: ['usage-guard.>'], subscribe: ['usage-guard.>'] },
      config: { limits: { demo: LIMIT } },
    })
  })
  afterAll(() => test?.close())

  it('counts requests in the gateway, totals them in Studio on a run of the schedule', async () => {
    // Events are not kept for subscribers to come: give the Studio half's subscription (opened in onSessionReady, after the start) a moment.
    await sleep(1000)
    for (let i = 0; i < LIMIT; i++) expect((await chat()).status).toBe(200)
    // The gateway half sends its batch within a second (longer on a busy machine).
    for (let i = 0; i < 200 && (await usage()).pending < LIMIT; i++) await sleep(50)
    expect((await usage()).pending).toBe(LIMIT)
    const run = await test.runSchedule('usage-guard', 'aggregate')
    expect(run).toMatchObject({ status: 'completed', output: { apps: 1, requests: LIMIT, blocked: ['demo'] } })
    expect(await usage()).toMatchObject({ totals: { demo: LIMIT }, today: { demo: LIMIT }, blocked: ['demo'], pending: 0 })
  })

  it('blocks the app over its daily limit with 429 and a JSON error once Studio published the block down', async () => {
    let answer = await chat()
    for (let i = 0; i < 40 && answer.status === 200; i++) {
      await sleep(50)
      answer = await chat()
    }
    expect(answer.status).toBe(429)
    expect(answer.json.error).toMatchObject({ code: 'USAGE_LIMIT_EXCEEDED', type: 'rate_limit_error', message: expect.stringContaining(`its limit is ${LIMIT}`) })
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})
