import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, type TestPlatform } from '@plugboard/studio/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

describe('llm-validator in a real Studio', () => {
  let test: TestPlatform
  beforeAll(async () => {
    test = await startTestPlatform()
    await test.installPlugin('llm-validator', `file://${packageDir}`, { objectHooks: ['llm'], config: { defaultDescription: '{vendor} LLM {name}' } })
  })
  afterAll(() => test?.close())

  it('refuses an LLM on plain http to a public host with 422 naming the plugin', async () => {
    const refused = await test.api('POST', '/llms', { slug: 'public-http', vendor: 'openai', baseUrl: 'http://example.com/v1', models: ['gpt-4o'] })
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'OBJECT_HOOK_REJECTED', message: expect.stringMatching(/plugin "llm-validator" rejected this LLM: baseUrl http:\/\/example\.com is not https/) })
    expect((await test.api('GET', '/llms/public-http')).status).toBe(404)
  })

  it('creates an https LLM with the default description filled in', async () => {
    const created = await test.api('POST', '/llms', { slug: 'secure', name: 'Secure', vendor: 'openai', baseUrl: 'https://api.example.com/v1', apiKey: 'sk-test', models: ['gpt-4o'] })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ slug: 'secure', description: 'openai LLM Secure', apiKeyHint: '…test' })
  })

  it('allows a loopback http LLM, and checks what an update changes', async () => {
    const local = await test.api('POST', '/llms', { slug: 'local', vendor: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', description: 'a local model', models: ['llama'] })
    expect(local.status).toBe(201)
    expect(local.json.description).toBe('a local model')
    const moved = await test.api('PATCH', `/llms/${local.json.id}`, { baseUrl: 'http://models.example.com/v1' })
    expect(moved.status).toBe(422)
    expect(moved.json.error.code).toBe('OBJECT_HOOK_REJECTED')
    const cleared = await test.api('PATCH', `/llms/${local.json.id}`, { description: '' })
    expect(cleared.status).toBe(200)
    expect(cleared.json).toMatchObject({ description: 'openai LLM local', baseUrl: 'http://127.0.0.1:11434/v1' })
  })
})
