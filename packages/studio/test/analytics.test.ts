import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AnalyticsWriter, seedRequests } from '../src/index.js'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'
import { requestRecord } from './request-records.js'

const DAY = 24 * 60 * 60 * 1000
const day1 = Date.parse('2026-03-01T10:00:00Z')
const day2 = Date.parse('2026-03-02T23:59:59.999Z')
const range = `from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z`

/** Known requests: two apps, two LLMs, three models, two days, errors and latencies chosen so every figure is checkable. */
const KNOWN = [
  requestRecord({ at: day1, requestId: 'k1', appId: 'alpha', llm: 'openai', model: 'gpt-4o', promptTokens: 100, completionTokens: 50, cost: 0.5, latencyMs: 10 }),
  requestRecord({ at: day1 + 1, requestId: 'k2', appId: 'alpha', llm: 'openai', model: 'gpt-4o-mini', promptTokens: 10, completionTokens: 5, cost: 0.05, latencyMs: 20 }),
  requestRecord({ at: day1 + 2, requestId: 'k3', appId: 'beta', llm: 'anthropic', model: 'claude', promptTokens: 1000, completionTokens: 0, cost: 2, latencyMs: 30, streamed: true, aborted: true }),
  requestRecord({ at: day2, requestId: 'k4', appId: 'beta', llm: 'anthropic', model: 'claude', status: 429, errorCode: 'BUDGET_EXCEEDED', promptTokens: 0, completionTokens: 0, cost: 0, latencyMs: 40 }),
  requestRecord({ at: day2, requestId: 'k5', appId: null, llm: null, model: null, status: 401, errorCode: 'INVALID_API_KEY', promptTokens: 0, completionTokens: 0, cost: 0, latencyMs: 50 }),
  // outside the range
  requestRecord({ at: day2 + 1, requestId: 'k6', appId: 'alpha', cost: 100 }),
]

describe.each(DATABASES)('analytics on %s', (kind) => {
  let s: TestStudio
  const db = () => s.studio.database.db
  const get = async (url: string) => {
    const response = await s.api('GET', url)
    expect(response.status, JSON.stringify(response.json)).toBe(200)
    return response.json
  }

  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  describe('on known requests', () => {
    beforeAll(async () => {
      await db().deleteFrom('requests').execute()
      const writer = new AnalyticsWriter({ db: db(), ownerOf: () => undefined })
      for (const record of KNOWN) writer.write(record)
      await writer.close()
    })

    it('sums usage and cost per app, LLM, model and day', async () => {
      const byApp = await get(`/api/v1/analytics/usage?groupBy=app&${range}`)
      expect(byApp).toEqual({
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-03T00:00:00.000Z',
        items: [
          { key: 'alpha', requests: 2, promptTokens: 110, completionTokens: 55, costUsd: 0.55, errors: 0 },
          { key: 'beta', requests: 2, promptTokens: 1000, completionTokens: 0, costUsd: 2, errors: 1 },
          { key: null, requests: 1, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 1 },
        ],
      })
      const byDay = await get(`/api/v1/analytics/usage?groupBy=day&${range}`)
      expect(byDay.items).toEqual([
        { key: '2026-03-01', requests: 3, promptTokens: 1110, completionTokens: 55, costUsd: 2.55, errors: 0 },
        { key: '2026-03-02', requests: 2, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 2 },
      ])
      const byModel = await get(`/api/v1/analytics/usage?groupBy=model&llm=openai&${range}`)
      expect(byModel.items).toEqual([
        { key: 'gpt-4o', requests: 1, promptTokens: 100, completionTokens: 50, costUsd: 0.5, errors: 0 },
        { key: 'gpt-4o-mini', requests: 1, promptTokens: 10, completionTokens: 5, costUsd: 0.05, errors: 0 },
      ])
      const byLlm = await get(`/api/v1/analytics/usage?groupBy=llm&app=beta&${range}`)
      expect(byLlm.items).toEqual([{ key: 'anthropic', requests: 2, promptTokens: 1000, completionTokens: 0, costUsd: 2, errors: 1 }])
    })

    it('splits each day by app in one answer, largest first within the day', async () => {
      const { items } = await get(`/api/v1/analytics/usage?groupBy=day&split=app&${range}`)
      expect(items).toEqual([
        { key: '2026-03-01', split: 'alpha', requests: 2, promptTokens: 110, completionTokens: 55, costUsd: 0.55, errors: 0 },
        { key: '2026-03-01', split: 'beta', requests: 1, promptTokens: 1000, completionTokens: 0, costUsd: 2, errors: 0 },
        { key: '2026-03-02', split: 'beta', requests: 1, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 1 },
        { key: '2026-03-02', split: null, requests: 1, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 1 },
      ])
    })

    it('sums the splits past splitLimit into an other row per group, ranked over the whole range', async () => {
      // alpha and beta have 2 requests each over the range; alpha wins the tie by name, beta and the app-less request are folded.
      const { items } = await get(`/api/v1/analytics/usage?groupBy=day&split=app&splitLimit=1&${range}`)
      expect(items).toEqual([
        { key: '2026-03-01', split: 'alpha', requests: 2, promptTokens: 110, completionTokens: 55, costUsd: 0.55, errors: 0 },
        { key: '2026-03-01', split: null, other: true, requests: 1, promptTokens: 1000, completionTokens: 0, costUsd: 2, errors: 0 },
        { key: '2026-03-02', split: null, other: true, requests: 2, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 2 },
      ])
      const byLlm = await get(`/api/v1/analytics/usage?groupBy=llm&split=model&splitLimit=2&${range}`)
      expect(byLlm.items.map((row: { key: string; split: string | null; other?: true; requests: number }) => [row.key, row.split, row.other ?? false, row.requests])).toEqual([
        ['anthropic', 'claude', false, 2],
        ['openai', 'gpt-4o', false, 1],
        ['openai', null, true, 1],
        [null, null, true, 1],
      ])
    })

    it('gives latency percentiles (interpolated) overall and per group', async () => {
      const all = await get(`/api/v1/analytics/latency?${range}`)
      // 10, 20, 30, 40, 50: p50 30, p90 between 40 and 50 at 0.6, p99 at 0.96.
      expect(all.items).toEqual([{ key: null, p50: 30, p90: 46, p99: 49.6, requests: 5 }])
      const perApp = await get(`/api/v1/analytics/latency?groupBy=app&${range}`)
      expect(perApp.items).toEqual([
        { key: 'alpha', p50: 15, p90: 19, p99: 19.9, requests: 2 },
        { key: 'beta', p50: 35, p90: 39, p99: 39.9, requests: 2 },
        { key: null, p50: 50, p90: 50, p99: 50, requests: 1 },
      ])
      const none = await get('/api/v1/analytics/latency?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z')
      expect(none.items).toEqual([{ key: null, p50: 0, p90: 0, p99: 0, requests: 0 }])
    })

    it('ranks the top apps by cost, requests or tokens, leaving out requests of no app', async () => {
      expect((await get(`/api/v1/analytics/top-apps?${range}`)).items.map((r: { key: string }) => r.key)).toEqual(['beta', 'alpha'])
      expect((await get(`/api/v1/analytics/top-apps?by=tokens&limit=1&${range}`)).items).toEqual([{ key: 'beta', requests: 2, promptTokens: 1000, completionTokens: 0, costUsd: 2, errors: 1 }])
      const widened = await get(`/api/v1/analytics/top-apps?by=requests&from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z`)
      expect(widened.items.map((r: { key: string; requests: number }) => [r.key, r.requests])).toEqual([
        ['alpha', 3],
        ['beta', 2],
      ])
    })

    it('lists the request log newest first with its filters', async () => {
      const log = await get(`/api/v1/analytics/requests?${range}`)
      expect(log.items.map((r: { requestId: string }) => r.requestId)).toEqual(['k5', 'k4', 'k3', 'k2', 'k1'])
      expect(log.items[2]).toMatchObject({ requestId: 'k3', at: new Date(day1 + 2).toISOString(), appId: 'beta', llm: 'anthropic', model: 'claude', status: 200, promptTokens: 1000, costUsd: 2, latencyMs: 30, streamed: true, aborted: true, errorCode: null })
      expect(log.nextCursor).toBeNull()
      const pick = async (query: string) => (await get(`/api/v1/analytics/requests?${range}&${query}`)).items.map((r: { requestId: string }) => r.requestId)
      expect(await pick('app=alpha')).toEqual(['k2', 'k1'])
      expect(await pick('llm=anthropic&model=claude')).toEqual(['k4', 'k3'])
      expect(await pick('status=401')).toEqual(['k5'])
      expect(await pick('aborted=true')).toEqual(['k3'])
    })

    it('defaults to the last 30 days', async () => {
      const usage = await get('/api/v1/analytics/usage')
      expect(Date.parse(usage.to) - Date.parse(usage.from)).toBe(30 * DAY)
      expect(Math.abs(Date.parse(usage.to) - Date.now())).toBeLessThan(60_000)
      expect(usage.items).toEqual([])
    })
  })

  describe('request log pages', () => {
    beforeEach(async () => {
      await db().deleteFrom('requests').execute()
    })

    it('pages 20,000 rows that share timestamps with no duplicate and no gap', async () => {
      // 20,000 rows over 5 s: four rows per millisecond.
      await seedRequests(db(), 20_000, { spanMs: 5000 })
      const all = await db().selectFrom('requests').select(['id', 'at']).orderBy('at', 'desc').orderBy('id', 'desc').execute()
      expect(all).toHaveLength(20_000)
      expect(new Set(all.map((r) => r.at.getTime())).size).toBeLessThan(5100)
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = await get(`/api/v1/analytics/requests?limit=200${cursor ? `&cursor=${cursor}` : ''}`)
        seen.push(...page.items.map((r) => r.id))
        cursor = page.nextCursor
      } while (cursor)
      expect(seen).toEqual(all.map((r) => String(r.id)))

      const filtered: string[] = []
      cursor = null
      do {
        const page: { items: Array<{ id: string; appId: string }>; nextCursor: string | null } = await get(`/api/v1/analytics/requests?app=seed-app-3&limit=150${cursor ? `&cursor=${cursor}` : ''}`)
        expect(page.items.every((r) => r.appId === 'seed-app-3')).toBe(true)
        filtered.push(...page.items.map((r) => r.id))
        cursor = page.nextCursor
      } while (cursor)
      expect(filtered).toHaveLength(2000)
      expect(new Set(filtered).size).toBe(2000)
    })

    it('sums the seeded rows as their generator says', async () => {
      await seedRequests(db(), 1000, { spanMs: DAY })
      const { items } = await get('/api/v1/analytics/usage?groupBy=llm')
      expect(items.map((r: { key: string }) => r.key).sort()).toEqual(['anthropic', 'mock', 'openai'])
      expect(items.reduce((n: number, r: { requests: number }) => n + r.requests, 0)).toBe(1000)
      // The generator's errors: 500 where i % 97 = 0, else 429 where i % 50 = 0, else 401 where i % 31 = 0.
      const errors = Array.from({ length: 1000 }, (_, k) => k + 1).filter((i) => i % 97 === 0 || i % 50 === 0 || i % 31 === 0).length
      expect(items.reduce((n: number, r: { errors: number }) => n + r.errors, 0)).toBe(errors)
    })
  })

  it('documents its routes in the OpenAPI document, for admins only', async () => {
    const { paths } = await get('/api/v1/openapi.json')
    for (const path of ['/api/v1/analytics/usage', '/api/v1/analytics/latency', '/api/v1/analytics/top-apps', '/api/v1/analytics/requests', '/api/v1/audit']) {
      expect(paths[path]?.get?.['x-access'], path).toBe('admin')
      expect((await s.api('GET', path, undefined, { authorization: '' })).status, path).toBe(401)
    }
  })

  it('refuses bad query parameters with 422 and their paths', async () => {
    const cases: Array<[string, string]> = [
      ['/api/v1/analytics/usage?groupBy=week', 'query/groupBy'],
      ['/api/v1/analytics/usage?from=yesterday', 'query/from'],
      ['/api/v1/analytics/usage?from=2026-06-30T23:59:60Z', 'query/from'],
      ['/api/v1/analytics/usage?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'query/from'],
      ['/api/v1/analytics/usage?bogus=1', 'query/bogus'],
      ['/api/v1/analytics/usage?split=day', 'query/split'],
      ['/api/v1/analytics/usage?split=app&splitLimit=0', 'query/splitLimit'],
      ['/api/v1/analytics/usage?split=app&splitLimit=101', 'query/splitLimit'],
      ['/api/v1/analytics/latency?groupBy=hour', 'query/groupBy'],
      ['/api/v1/analytics/top-apps?limit=0', 'query/limit'],
      ['/api/v1/analytics/top-apps?by=speed', 'query/by'],
      ['/api/v1/analytics/requests?status=abc', 'query/status'],
      ['/api/v1/analytics/requests?aborted=maybe', 'query/aborted'],
      ['/api/v1/analytics/requests?limit=1000', 'query/limit'],
      ['/api/v1/analytics/requests?cursor=garbage', 'query/cursor'],
      ['/api/v1/analytics/requests?sort=-status', 'query/sort'],
      [`/api/v1/analytics/requests?app=${'x'.repeat(300)}`, 'query/app'],
    ]
    for (const [url, path] of cases) {
      const response = await s.api('GET', url)
      expect(response.status, url).toBe(422)
      expect(response.json.error.code, url).toBe('VALIDATION_FAILED')
      expect(response.json.error.details.map((d: { path: string }) => d.path), url).toContain(path)
    }
  })
})
