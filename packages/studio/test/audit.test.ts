import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, DATABASES, startStudio, type TestStudio } from './helpers.js'

interface Entry {
  id: string
  at: string
  actor: { type: string; id: string | null; name: string }
  action: string
  objectType: string
  objectId: string | null
  before: any
  after: any
  requestId: string | null
}
type AuditPage = { items: Entry[]; nextCursor: string | null }

describe.each(DATABASES)('audit log on %s', (kind) => {
  let s: TestStudio
  let llmId: string
  const get = async (query: string): Promise<AuditPage> => {
    const response = await s.api('GET', `/api/v1/audit${query}`)
    expect(response.status, JSON.stringify(response.json)).toBe(200)
    return response.json
  }
  const all = async (query: string, limit = 7): Promise<Entry[]> => {
    const entries: Entry[] = []
    let cursor: string | null = null
    do {
      const page: AuditPage = await get(`?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`)
      entries.push(...page.items)
      cursor = page.nextCursor
    } while (cursor)
    return entries
  }

  beforeAll(async () => {
    s = await startStudio(kind)
    const created = await s.api('POST', '/api/v1/llms', { slug: 'audited', vendor: 'openai', apiKey: 'sk-audit-secret-9876', models: ['gpt-4o'] }, { 'x-request-id': 'audit-create' })
    llmId = created.json.id
    await s.api('PATCH', `/api/v1/llms/${llmId}`, { name: 'Audited' }, { 'if-match': '1' })
    for (let i = 0; i < 20; i++) await s.api('POST', '/api/v1/llms', { slug: `bulk-${i}`, vendor: 'mock', models: ['m'] })
    // A plugin's write (the next issue's Service API) goes through the same path.
    await s.studio.context.writes.run({ actor: { type: 'plugin', id: 'sync-plugin', name: 'plugin sync-plugin' }, action: 'sync', type: 'llm' }, async () => ({ id: llmId, before: undefined, after: { synced: true }, result: undefined }))
    await s.api('DELETE', `/api/v1/llms/${llmId}`, undefined, { 'if-match': '2' })
  })
  afterAll(() => s?.close())

  it('gives entries newest first, with actor, object, before/after (secrets as hints) and request id', async () => {
    const { items } = await get('?limit=3')
    expect(items.map((e) => [e.action, e.objectType, e.objectId])).toEqual([
      ['delete', 'llm', llmId],
      ['sync', 'llm', llmId],
      ['create', 'llm', expect.any(String)],
    ])
    expect(items[0]).toMatchObject({ actor: { type: 'token', name: `${ADMIN.email} (token)` }, before: { slug: 'audited', name: 'Audited' }, after: null })
    expect(items[1]!.actor).toEqual({ type: 'plugin', id: 'sync-plugin', name: 'plugin sync-plugin' })

    const [created] = await all(`&objectId=${llmId}&action=create`)
    expect(created).toMatchObject({ before: null, after: { slug: 'audited', apiKeyHint: '…9876' }, requestId: 'audit-create' })
    expect(JSON.stringify(await all(''))).not.toContain('sk-audit-secret')
  })

  it('pages every entry once, in order, across pages', async () => {
    const entries = await all('', 4)
    // The bootstrap's entry for the first admin, 21 LLMs created, an update, a sync and a delete.
    expect(entries).toHaveLength(25)
    expect(new Set(entries.map((e) => e.id)).size).toBe(25)
    const order = entries.map((e) => [Date.parse(e.at), Number(e.id)] as const)
    for (let i = 1; i < order.length; i++) expect(order[i - 1]![0] > order[i]![0] || (order[i - 1]![0] === order[i]![0] && order[i - 1]![1] > order[i]![1])).toBe(true)
    expect(entries.at(-1)).toMatchObject({ actor: { type: 'system' }, objectType: 'user', action: 'create' })
  })

  it('filters by actor, object, action and time', async () => {
    expect((await all(`&objectType=llm&objectId=${llmId}`)).map((e) => e.action)).toEqual(['delete', 'sync', 'update', 'create'])
    expect((await all('&actorType=plugin')).map((e) => e.actor.id)).toEqual(['sync-plugin'])
    expect((await all('&actorId=sync-plugin&action=sync')).length).toBe(1)
    expect((await all('&actorType=system')).map((e) => e.objectType)).toEqual(['user'])
    expect((await all('&action=update')).map((e) => e.objectId)).toEqual([llmId])
    expect(await all('&objectType=app')).toEqual([])
    const newest = (await get('?limit=1')).items[0]!
    expect((await all(`&from=${encodeURIComponent(newest.at)}`)).map((e) => e.id)).toContain(newest.id)
    expect(await all(`&to=${encodeURIComponent('2020-01-01T00:00:00Z')}`)).toEqual([])
  })

  it('refuses bad query parameters with 422 and their paths', async () => {
    const cases: Array<[string, string]> = [
      ['?actorType=robot', 'query/actorType'],
      ['?from=2026-13-01T00:00:00Z', 'query/from'],
      ['?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'query/from'],
      ['?limit=-1', 'query/limit'],
      ['?cursor=%7B%7D', 'query/cursor'],
      ['?objectId=', 'query/objectId'],
      ['?colour=red', 'query/colour'],
    ]
    for (const [query, path] of cases) {
      const response = await s.api('GET', `/api/v1/audit${query}`)
      expect(response.status, query).toBe(422)
      expect(response.json.error.details.map((d: { path: string }) => d.path), query).toContain(path)
    }
  })

  it('is for admins only', async () => {
    expect((await s.api('GET', '/api/v1/audit', undefined, { authorization: '' })).status).toBe(401)
  })
})
