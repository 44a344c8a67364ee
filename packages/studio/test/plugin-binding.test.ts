import { parse as parseYaml } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

// A plugin's binding set through PATCH /plugins/{id}, against Studio and a real plugin process:
// its object hooks (500 ms on an LLM named slow-*) run under the deadline the binding names.

const FIXTURE = new URL('./fixtures/object-hooks-plugin/main.mjs', import.meta.url).href

describe.each(DATABASES)('a plugin binding on %s', (kind) => {
  let s: TestStudio
  const plugin = (body?: unknown) => s.api(body === undefined ? 'GET' : 'PATCH', '/api/v1/plugins/hooks', body)
  const createLlm = (slug: string) => s.api('POST', '/api/v1/llms', { slug, vendor: 'mock', models: ['m'] })
  const exportedPlugin = async () => {
    const response = await s.studio.api.inject({ method: 'GET', url: '/api/v1/config/export', headers: { authorization: 'Bearer pbt_test_admin_token_0123456789abcdef' } })
    return (parseYaml(response.body).plugins as Record<string, unknown>[]).find((entry) => entry.name === 'hooks')
  }

  beforeAll(async () => {
    s = await startStudio(kind)
    expect((await s.api('POST', '/api/v1/plugins', { source: FIXTURE, name: 'hooks' })).status).toBe(201)
    expect((await s.api('POST', '/api/v1/plugins/hooks/scopes', { scope: 'kv.readwrite' })).status).toBe(200)
    expect((await plugin({ objectHooks: ['llm'], failurePolicy: 'fail-closed' })).status).toBe(200)
    expect((await s.api('POST', '/api/v1/plugins/hooks/enable')).status).toBe(200)
  }, 60_000)
  afterAll(() => s?.close())

  it('clears a deadline back to the default with deadlineMs: null, so a hook slower than the old deadline runs again', async () => {
    expect((await plugin({ deadlineMs: 200 })).json.binding).toMatchObject({ deadlineMs: 200, failurePolicy: 'fail-closed' })
    const late = await createLlm('slow-under-deadline')
    expect(late.status).toBe(503)
    expect(late.json.error).toMatchObject({ code: 'OBJECT_HOOK_FAILED', plugin: 'hooks' })

    const cleared = await plugin({ deadlineMs: null })
    expect(cleared.status).toBe(200)
    expect(cleared.json.binding).toMatchObject({ deadlineMs: null, failurePolicy: 'fail-closed' })
    expect((await plugin()).json.binding.deadlineMs).toBeNull()
    // Cleared, not stored as null: the exported config names no deadline, as a plugin never given one.
    expect(await exportedPlugin()).not.toHaveProperty('deadlineMs')
    expect((await createLlm('slow-default-deadline')).status).toBe(201)
  })

  it('refuses a deadline out of range with its path, keeping the one set', async () => {
    await plugin({ deadlineMs: 1500 })
    for (const deadlineMs of [0, 60_001, 1.5, '100']) {
      const refused = await plugin({ deadlineMs })
      expect(refused.status, String(deadlineMs)).toBe(422)
      expect(refused.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: expect.arrayContaining([expect.objectContaining({ path: '/deadlineMs' })]) })
    }
    expect((await plugin()).json.binding.deadlineMs).toBe(1500)
  })
})
