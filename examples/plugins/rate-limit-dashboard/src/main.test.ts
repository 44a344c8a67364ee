import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '@plugboard/studio/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const KEY = 'pb-rate-limit-dashboard-key-0123'

describe('rate-limit-dashboard in a real Studio and gateway', () => {
  let test: TestPlatform
  const chat = () =>
    fetch(`${test.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] }),
    })

  beforeAll(async () => {
    test = await startTestPlatform()
    const applied = await test.api('POST', '/config/apply', { llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }], apps: [{ id: 'demo', keys: [{ value: KEY }], allowedLlms: ['mock'] }] })
    expect(applied.json.error).toBeUndefined()
    await test.installPlugin('rate-limit-dashboard', `file://${packageDir}`, { scopes: ['kv.readwrite'], config: { requestsPerMinute: 3 } })
  }, 60_000)
  afterAll(() => test?.close())

  it("charts what the gateway half counted: the Studio half's RPC reads the same buckets", async () => {
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(200)
    expect((await chat()).status).toBe(429)
    const counters = await test.api('POST', '/plugins/rate-limit-dashboard/rpc/counters', {})
    expect(counters.status).toBe(200)
    expect(counters.json.result).toMatchObject({ limits: { requestsPerMinute: 3 }, apps: [{ appId: 'demo', requestsUsed: expect.closeTo(3, 0) }] })
  })

  it('shows in the dashboard slots, its component served through the shared port', async () => {
    const extensions = await test.api('GET', '/ui/extensions')
    expect(extensions.json.items).toMatchObject([{ plugin: { name: 'rate-limit-dashboard' }, sidebar: [{ path: '/x/rate-limit-dashboard' }], problems: [] }])
    const module = await fetch(`${test.url}/plugins/rate-limit-dashboard/ui/rate-limits.js`, { headers: { authorization: `Bearer ${TEST_ADMIN.token}` } })
    expect(module.status).toBe(200)
    expect(module.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await module.text()).toContain("customElements.define('rate-limit-dashboard-chart'")
  })
})
