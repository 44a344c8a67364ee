import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AnalyticsWriter } from '../src/index.js'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'
import { requestRecord, until } from './request-records.js'

describe.each(DATABASES)('analytics writer on %s', (kind) => {
  let s: TestStudio
  const db = () => s.studio.database.db
  const rows = async () => Number((await db().selectFrom('requests').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()).n)
  const owners: Record<string, string> = { 'app-1': 'owner-1' }
  const writer = (options: Partial<ConstructorParameters<typeof AnalyticsWriter>[0]> = {}) => new AnalyticsWriter({ db: db(), ownerOf: (appId) => owners[appId], ...options })

  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())
  beforeEach(async () => {
    await db().deleteFrom('requests').execute()
  })

  it('writes full batches at once, the rest on close; fills the user with the app owner', async () => {
    const w = writer({ batchSize: 100, flushIntervalMs: 60_000 })
    for (let i = 0; i < 250; i++) w.write(requestRecord({ requestId: `b-${i}`, userId: i === 0 ? 'plugin-user' : null, appId: i === 1 ? null : 'app-1' }))
    await until(() => w.stats.written === 200)
    expect(w.stats).toMatchObject({ buffered: 50, dropped: 0 })
    expect(await rows()).toBe(200)
    await w.close()
    expect(w.stats).toMatchObject({ written: 250, buffered: 0, dropped: 0, droppedAtClose: 0, failedFlushes: 0 })
    expect(await rows()).toBe(250)
    const users = await db().selectFrom('requests').select(['request_id', 'user_id', 'app_id']).where('request_id', 'in', ['b-0', 'b-1', 'b-2']).orderBy('request_id').execute()
    expect(users).toEqual([
      { request_id: 'b-0', user_id: 'plugin-user', app_id: 'app-1' },
      { request_id: 'b-1', user_id: null, app_id: null },
      { request_id: 'b-2', user_id: 'owner-1', app_id: 'app-1' },
    ])
    w.write(requestRecord())
    expect(w.stats.droppedAtClose).toBe(1)
  })

  it('writes a partial batch after its interval', async () => {
    const w = writer({ flushIntervalMs: 20 })
    w.write(requestRecord({ requestId: 'lonely' }))
    await until(() => w.stats.written === 1)
    expect(await rows()).toBe(1)
    await w.close()
  })

  it('holds at most maxBuffered records: the rest are dropped and counted', async () => {
    const w = writer({ maxBuffered: 10, flushIntervalMs: 60_000 })
    for (let i = 0; i < 15; i++) w.write(requestRecord({ requestId: `d-${i}` }))
    expect(w.stats).toMatchObject({ buffered: 10, dropped: 5 })
    await w.close()
    expect(w.stats).toMatchObject({ written: 10, dropped: 5, buffered: 0 })
    expect(await rows()).toBe(10)
  })

  it('keeps a batch the database refused and writes it once it takes it again', async () => {
    // A real failure: the table is gone while the writer flushes, then comes back.
    await sql`alter table requests rename to requests_away`.execute(db())
    const w = writer({ batchSize: 3, flushIntervalMs: 10, maxBuffered: 8 })
    try {
      for (let i = 0; i < 5; i++) w.write(requestRecord({ requestId: `f-${i}` }))
      await until(() => w.stats.failedFlushes >= 2)
      for (let i = 5; i < 10; i++) w.write(requestRecord({ requestId: `f-${i}` }))
      // The failed batch (3) and the waiting rows count against the bound: 8 kept, 2 dropped.
      expect(w.stats).toMatchObject({ buffered: 8, dropped: 2, written: 0 })
    } finally {
      await sql`alter table requests_away rename to requests`.execute(db())
    }
    await until(() => w.stats.written === 8)
    await w.close()
    expect(w.stats).toMatchObject({ written: 8, dropped: 2, buffered: 0, droppedAtClose: 0 })
    const ids = (await db().selectFrom('requests').select('request_id').execute()).map((r) => r.request_id).sort()
    expect(ids).toEqual(['f-0', 'f-1', 'f-2', 'f-3', 'f-4', 'f-5', 'f-6', 'f-7'])
  })

  it('gives up at close after its timeout while the database is away, counting what it dropped', async () => {
    await sql`alter table requests rename to requests_away`.execute(db())
    try {
      const w = writer({ flushIntervalMs: 10 })
      for (let i = 0; i < 4; i++) w.write(requestRecord())
      const started = Date.now()
      await w.close(300)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(w.stats).toMatchObject({ written: 0, droppedAtClose: 4, buffered: 0 })
    } finally {
      await sql`alter table requests_away rename to requests`.execute(db())
    }
  })

  it('stores any record: NUL bytes, huge text and numbers, NaN — no record can fail its batch', async () => {
    const w = writer()
    w.write(requestRecord({ requestId: 'odd', model: 'a\u0000b', appId: 'x'.repeat(10_000), promptTokens: 1e12, completionTokens: Number.NaN, cost: Number.POSITIVE_INFINITY, latencyMs: -5, status: 1e6 }))
    w.write(requestRecord({ requestId: 'fine' }))
    await w.close()
    expect(w.stats).toMatchObject({ written: 2, failedFlushes: 0 })
    const odd = await db().selectFrom('requests').selectAll().where('request_id', '=', 'odd').executeTakeFirstOrThrow()
    expect(odd).toMatchObject({ model: 'ab', prompt_tokens: 2 ** 31 - 1, completion_tokens: 0, cost: 0, latency_ms: 0, status: 999 })
    expect(odd.app_id).toHaveLength(256)
  })

  it('keeps the table to its retention and refreshes the planner statistics once enough rows came', async () => {
    const w = writer({ retentionDays: 1, maintenanceIntervalMs: 0 })
    const old = Date.now() - 3 * 24 * 60 * 60 * 1000
    for (let i = 0; i < 3; i++) w.write(requestRecord({ requestId: `old-${i}`, at: old }))
    for (let i = 0; i < 10_000; i++) w.write(requestRecord({ requestId: `new-${i}` }))
    await until(() => w.stats.written === 10_003)
    await w.maintain()
    expect(w.stats.pruned).toBe(3)
    expect(await rows()).toBe(10_000)
    const { reltuples } = await db().selectFrom(sql<{ relname: string; reltuples: number }>`pg_class`.as('c')).select('reltuples').where('relname', '=', 'requests').executeTakeFirstOrThrow()
    expect(Number(reltuples)).toBeGreaterThan(9000)
    await w.close()
  })
})
