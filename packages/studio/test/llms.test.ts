import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

describe.each(DATABASES)('LLMs on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  it('creates, reads, lists, updates with If-Match and deletes; the key is never returned', async () => {
    const created = await s.api('POST', '/api/v1/llms', { slug: 'openai-main', vendor: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-secret-abcd1234', models: ['gpt-4o', 'gpt-4o-mini'], defaultModel: 'gpt-4o' })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ slug: 'openai-main', vendor: 'openai', apiKeyHint: '…1234', models: ['gpt-4o', 'gpt-4o-mini'], version: 1 })
    expect(JSON.stringify(created.json)).not.toContain('sk-secret')
    expect(created.headers.etag).toBe('"1"')

    const bySlug = await s.api('GET', '/api/v1/llms/openai-main')
    expect(bySlug.json.id).toBe(created.json.id)

    const stale = await s.api('PATCH', `/api/v1/llms/${created.json.id}`, { name: 'Main' }, { 'if-match': '"7"' })
    expect(stale.status).toBe(412)
    expect(stale.json.error.code).toBe('VERSION_MISMATCH')

    const updated = await s.api('PATCH', `/api/v1/llms/${created.json.id}`, { name: 'Main' }, { 'if-match': '"1"' })
    expect(updated.status).toBe(200)
    expect(updated.json).toMatchObject({ name: 'Main', version: 2 })

    const listed = await s.api('GET', '/api/v1/llms?vendor=openai')
    expect(listed.json.items.map((l: { slug: string }) => l.slug)).toEqual(['openai-main'])

    const removed = await s.api('DELETE', `/api/v1/llms/${created.json.id}`, undefined, { 'if-match': '2' })
    expect(removed.status).toBe(204)
    expect((await s.api('GET', `/api/v1/llms/${created.json.id}`)).status).toBe(404)
  })

  it('keeps a description for people, empty unless given', async () => {
    const plain = await s.api('POST', '/api/v1/llms', { slug: 'described-not', vendor: 'mock', models: ['m'] })
    expect(plain.json.description).toBe('')
    const created = await s.api('POST', '/api/v1/llms', { slug: 'described', vendor: 'mock', models: ['m'], description: 'For the support team' })
    expect(created.json.description).toBe('For the support team')
    const updated = await s.api('PATCH', '/api/v1/llms/described', { description: 'For everyone' })
    expect(updated.json).toMatchObject({ description: 'For everyone', version: 2 })
    const tooLong = await s.api('PATCH', '/api/v1/llms/described', { description: 'x'.repeat(2001) })
    expect(tooLong.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/description' }] })
  })

  it("keeps the APIs an LLM speaks natively: null is the vendor's default, [] always translates", async () => {
    const plain = await s.api('POST', '/api/v1/llms', { slug: 'native-default', vendor: 'anthropic', apiKey: 'sk-ant-1', models: ['claude'] })
    expect(plain.json.nativeApis).toBeNull()
    const created = await s.api('POST', '/api/v1/llms', { slug: 'native-vllm', vendor: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k', models: ['m'], nativeApis: ['responses'] })
    expect([created.status, created.json.nativeApis]).toEqual([201, ['responses']])
    expect((await s.api('GET', '/api/v1/llms/native-vllm')).json.nativeApis).toEqual(['responses'])
    const translated = await s.api('PATCH', '/api/v1/llms/native-vllm', { nativeApis: [] })
    expect(translated.json).toMatchObject({ nativeApis: [], version: 2 })
    const cleared = await s.api('PATCH', '/api/v1/llms/native-vllm', { nativeApis: null })
    expect(cleared.json).toMatchObject({ nativeApis: null, version: 3 })
  })

  it('describes nativeApis in the OpenAPI document, with the values it takes', async () => {
    const document = (await s.api('GET', '/api/v1/openapi.json')).json
    const create = document.paths['/api/v1/llms'].post.requestBody.content['application/json'].schema.properties.nativeApis
    expect(JSON.stringify(create)).toContain('"enum":["anthropic.messages","responses"]')
    expect(JSON.stringify(create)).toContain("null: the vendor's default")
  })

  const refusedAtNativeApis = (refused: { status: number; json: any }, message: RegExp) => {
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) })
    const paths: string[] = refused.json.error.details.map((d: { path: string }) => d.path)
    expect(paths.length).toBeGreaterThan(0)
    expect(paths.filter((path) => !path.startsWith('/nativeApis'))).toEqual([])
  }

  it.each([
    ['anthropic.messages on an openai LLM', { vendor: 'openai', apiKey: 'k', nativeApis: ['anthropic.messages'] }, /anthropic\.messages is only for anthropic LLMs/],
    ['either on the mock', { vendor: 'mock', nativeApis: ['responses'] }, /responses is only for openai LLMs/],
    ['an unknown API', { vendor: 'openai', apiKey: 'k', nativeApis: ['chat.completions'] }, /./],
    ['one API twice', { vendor: 'openai', apiKey: 'k', nativeApis: ['responses', 'responses'] }, /./],
  ])('refuses to create an LLM with %s: 422 at /nativeApis', async (_name, fields, message) => {
    refusedAtNativeApis(await s.api('POST', '/api/v1/llms', { slug: 'native-refused', models: ['m'], ...fields }), message)
    expect((await s.api('GET', '/api/v1/llms/native-refused')).status).toBe(404)
  })

  it('refuses to update an anthropic LLM to speak responses, and leaves it as it was', async () => {
    await s.api('POST', '/api/v1/llms', { slug: 'native-claude', vendor: 'anthropic', apiKey: 'k', models: ['m'] })
    refusedAtNativeApis(await s.api('PATCH', '/api/v1/llms/native-claude', { nativeApis: ['anthropic.messages', 'responses'] }), /responses is only for openai LLMs/)
    expect((await s.api('GET', '/api/v1/llms/native-claude')).json).toMatchObject({ nativeApis: null, version: 1 })
  })

  it('answers 409 on a duplicate slug and 422 with field paths on a bad body', async () => {
    expect((await s.api('POST', '/api/v1/llms', { slug: 'dup', vendor: 'mock', models: ['m'] })).status).toBe(201)
    const dup = await s.api('POST', '/api/v1/llms', { slug: 'dup', vendor: 'mock', models: ['m'] })
    expect(dup.status).toBe(409)
    expect(dup.json.error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: '/slug' }] })

    const bad = await s.api('POST', '/api/v1/llms', { slug: 'Bad Slug', vendor: 'nope', models: [], extra: 1 })
    expect(bad.status).toBe(422)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/slug', '/vendor', '/models', '/extra']))

    const notJson = await s.api('POST', '/api/v1/llms', '{"slug":')
    expect(notJson.status).toBe(422)
    expect(notJson.json.error.code).toBe('INVALID_JSON')
  })

  it('pages through a sorted list with cursors', async () => {
    for (let i = 0; i < 7; i++) await s.api('POST', '/api/v1/llms', { slug: `page-${i}`, vendor: 'mock', models: ['m'] })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { json: { items: { slug: string }[]; nextCursor: string | null } } = await s.api('GET', `/api/v1/llms?q=page-&sort=-slug&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...page.json.items.map((l) => l.slug))
      cursor = page.json.nextCursor
    } while (cursor)
    expect(seen).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0'])
    expect((await s.api('GET', '/api/v1/llms?sort=nope')).status).toBe(422)
    // `%` and `_` in ?q= are themselves, not wildcards.
    expect((await s.api('GET', '/api/v1/llms?q=%25')).json.items).toEqual([])
    expect((await s.api('GET', '/api/v1/llms?q=page_')).json.items).toEqual([])
  })

  it('takes its group grants with it when deleted', async () => {
    const llm = await s.api('POST', '/api/v1/llms', { slug: 'granted', vendor: 'mock', models: ['m'] })
    const group = await s.api('POST', '/api/v1/groups', { name: 'with-grant' })
    expect((await s.api('PUT', `/api/v1/groups/${group.json.id}/grants`, { llms: ['granted'] })).status).toBe(200)
    expect((await s.api('DELETE', `/api/v1/llms/${llm.json.id}`)).status).toBe(204)
    const grants = await s.studio.context.db.selectFrom('group_grants').selectAll().where('target_id', '=', llm.json.id).execute()
    expect(grants).toEqual([])
    expect((await s.api('GET', `/api/v1/groups/${group.json.id}`)).json.grants.llms).toEqual([])
  })

  it('refuses a base URL with credentials in it, and takes a DELETE whose empty body says it is JSON', async () => {
    const withCredentials = await s.api('POST', '/api/v1/llms', { slug: 'creds', vendor: 'openai', baseUrl: 'http://user:sk-secret@127.0.0.1:9/v1', apiKey: 'k', models: ['m'] })
    expect(withCredentials.status).toBe(422)
    expect(withCredentials.json.error.details[0].path).toBe('/baseUrl')
    expect(JSON.stringify(withCredentials.json)).not.toContain('sk-secret')
    const created = await s.api('POST', '/api/v1/llms', { slug: 'empty-delete', vendor: 'mock', models: ['m'] })
    const removed = await s.studio.api.inject({ method: 'DELETE', url: `/api/v1/llms/${created.json.id}`, headers: { authorization: 'Bearer pbt_test_admin_token_0123456789abcdef', 'content-type': 'application/json' } })
    expect(removed.statusCode).toBe(204)
    const emptyCreate = await s.studio.api.inject({ method: 'POST', url: '/api/v1/llms', headers: { authorization: 'Bearer pbt_test_admin_token_0123456789abcdef', 'content-type': 'application/json' } })
    expect([emptyCreate.statusCode, JSON.parse(emptyCreate.body).error.code]).toEqual([422, 'VALIDATION_FAILED'])
  })
})
