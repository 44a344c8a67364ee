import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

describe.each(DATABASES)('model prices on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  it('creates with PUT (201), replaces with If-Match (200), reads, lists and deletes; audits each write', async () => {
    const created = await s.api('PUT', '/api/v1/model-prices/gpt-4o', { input: 2.5, output: 10 })
    expect(created.status).toBe(201)
    expect(created.headers.etag).toBe('"1"')
    expect(created.json).toMatchObject({ model: 'gpt-4o', input: 2.5, output: 10, version: 1 })

    const stale = await s.api('PUT', '/api/v1/model-prices/gpt-4o', { input: 3, output: 12 }, { 'if-match': '"2"' })
    expect(stale.status).toBe(412)
    expect(stale.json.error.code).toBe('VERSION_MISMATCH')
    const replaced = await s.api('PUT', '/api/v1/model-prices/gpt-4o', { input: 3, output: 12 }, { 'if-match': '"1"' })
    expect(replaced.status).toBe(200)
    expect(replaced.json).toMatchObject({ input: 3, output: 12, version: 2 })
    expect((await s.api('PUT', '/api/v1/model-prices/gpt-4o', { input: 0, output: 0 })).json.version).toBe(3)

    const got = await s.api('GET', '/api/v1/model-prices/gpt-4o')
    expect(got.json).toMatchObject({ input: 0, output: 0 })
    expect(got.headers.etag).toBe('"3"')

    await s.api('PUT', '/api/v1/model-prices/claude-3-5-sonnet', { input: 3, output: 15 })
    expect((await s.api('GET', '/api/v1/model-prices')).json.items.map((p: { model: string }) => p.model)).toEqual(['claude-3-5-sonnet', 'gpt-4o'])
    expect((await s.api('GET', '/api/v1/model-prices?q=claude')).json.items.map((p: { model: string }) => p.model)).toEqual(['claude-3-5-sonnet'])

    expect((await s.api('DELETE', '/api/v1/model-prices/gpt-4o', undefined, { 'if-match': '"1"' })).status).toBe(412)
    expect((await s.api('DELETE', '/api/v1/model-prices/gpt-4o', undefined, { 'if-match': '"3"' })).status).toBe(204)
    expect((await s.api('GET', '/api/v1/model-prices/gpt-4o')).status).toBe(404)

    const audit = await s.studio.database.db.selectFrom('audit_log').select(['action', 'before', 'after']).where('object_type', '=', 'model_price').where('object_id', '=', 'gpt-4o').orderBy('id').execute()
    expect(audit.map((a) => [a.action, a.before === null])).toEqual([
      ['put', true],
      ['put', false],
      ['put', false],
      ['delete', false],
    ])
  })

  it('takes a model name with slashes, URL-encoded', async () => {
    const model = 'accounts/fireworks/models/llama-v3'
    expect((await s.api('PUT', `/api/v1/model-prices/${encodeURIComponent(model)}`, { input: 0.2, output: 0.2 })).status).toBe(201)
    expect((await s.api('GET', `/api/v1/model-prices/${encodeURIComponent(model)}`)).json.model).toBe(model)
  })

  it('refuses bad bodies with field paths, unknown models with 404, and If-Match on a price that does not exist with 412', async () => {
    const bad = await s.api('PUT', '/api/v1/model-prices/m', { input: -1, output: 2e6, extra: 1 })
    expect(bad.status).toBe(422)
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/input', '/output', '/extra']))
    const missing = await s.api('PUT', '/api/v1/model-prices/m', { input: 1 })
    expect(missing.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/output' }] })
    expect((await s.api('PUT', '/api/v1/model-prices/m', { input: '1', output: 1 })).status).toBe(422)
    expect((await s.api('PUT', '/api/v1/model-prices/m', '{"input":')).json.error.code).toBe('INVALID_JSON')
    expect((await s.api('PUT', `/api/v1/model-prices/${'x'.repeat(201)}`, { input: 1, output: 1 })).status).toBe(422)

    expect((await s.api('GET', '/api/v1/model-prices/never')).json.error.code).toBe('NOT_FOUND')
    expect((await s.api('DELETE', '/api/v1/model-prices/never')).status).toBe(404)
    const conditional = await s.api('PUT', '/api/v1/model-prices/never', { input: 1, output: 1 }, { 'if-match': '"1"' })
    expect(conditional.status).toBe(412)
    expect((await s.api('GET', '/api/v1/model-prices/never')).status).toBe(404)
    expect((await s.api('PUT', '/api/v1/model-prices/m', { input: 1, output: 1 }, { 'if-match': 'soon' })).json.error.code).toBe('INVALID_IF_MATCH')
  })

  it('settles concurrent first PUTs of one model into one row', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => s.api('PUT', '/api/v1/model-prices/raced', { input: i, output: i })))
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201])
    expect((await s.api('GET', '/api/v1/model-prices/raced')).json.version).toBe(8)
  })
})
