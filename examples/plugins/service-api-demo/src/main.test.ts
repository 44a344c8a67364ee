import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, type TestPlatform } from '@plugboard/studio/testing'

const source = `file://${fileURLToPath(new URL('..', import.meta.url))}`

describe('service-api-demo in a real Studio', () => {
  let test: TestPlatform
  beforeAll(async () => {
    test = await startTestPlatform()
    expect((await test.api('POST', '/llms', { slug: 'mock', vendor: 'mock', models: ['mock-gpt'], mock: { completionTokens: 4 } })).status).toBe(201)
    await test.installPlugin('demo', source, { scopes: ['llms.read', 'llms.proxy'] })
    await test.installPlugin('demo-read-only', source, { scopes: ['llms.read'] })
  })
  afterAll(() => test?.close())

  it('lists the LLMs through the Service API', async () => {
    const listed = await test.api('POST', '/plugins/demo/rpc/llms', {})
    expect(listed.status).toBe(200)
    expect(listed.json.result.items).toEqual([expect.objectContaining({ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] })])
  })

  it('answers a completion proxied through the gateway, with its usage', async () => {
    const answered = await test.api('POST', '/plugins/demo/rpc/complete', { llm: 'mock', prompt: 'Say hello' })
    expect(answered.status).toBe(200)
    expect(answered.json.result).toMatchObject({ text: expect.stringMatching(/\S/), usage: { completionTokens: 4, totalTokens: expect.any(Number) } })
  })

  it('fails complete naming SCOPE_DENIED when llms.proxy is not granted', async () => {
    const denied = await test.api('POST', '/plugins/demo-read-only/rpc/complete', { llm: 'mock', prompt: 'Say hello' })
    expect(denied.status).toBe(502)
    expect(denied.json.error).toMatchObject({ code: 'PLUGIN_RPC_FAILED', message: expect.stringContaining('SCOPE_DENIED') })
  })

  it('refuses a garbage payload with a clear error', async () => {
    const refused = await test.api('POST', '/plugins/demo/rpc/complete', { llm: 'mock', prompt: 'x'.repeat(40_000) })
    expect(refused.json.error.message).toContain('RPC_INVALID_PAYLOAD')
  })
})
