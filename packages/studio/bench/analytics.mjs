// Studio analytics benchmark: `node packages/studio/bench/analytics.mjs --db pglite|postgres [--rows 1000000] [--plans]`
// (after `npm run build`). Each run takes under 30 s for one database at a million rows.
// 1. Ingest: the AnalyticsWriter fed at 5,000 records/s for 3 s (the backlog it keeps), then a burst
//    of 50,000 records as fast as it takes them (its ceiling, records/s).
// 2. The request log and usage at `--rows` rows (seedRequests, then ANALYZE): the first page, a page
//    1,000 pages deep (its cursor reached by walking, the page itself timed), a page filtered by app,
//    and usage by day over 30 days; each the median of 5 calls through the API (fastify inject).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { pino } from 'pino'
import { AnalyticsWriter, seedRequests, Studio } from '../dist/index.js'
import { scratchPostgres } from '../dist/testing.js'

const { values: args } = parseArgs({ options: { db: { type: 'string', default: 'pglite' }, rows: { type: 'string', default: '1000000' }, plans: { type: 'boolean', default: false } } })
const ROWS = Number(args.rows)
const TOKEN = 'pbt_bench_admin_token_0123456789abcdef'


const dataDir = mkdtempSync(join(tmpdir(), 'pb-bench-analytics-'))
const postgres = args.db === 'postgres' ? await scratchPostgres('pb_bench') : undefined
const studio = await Studio.start({ dataDir, databaseUrl: postgres?.url, env: { PLUGBOARD_ADMIN_EMAIL: 'bench@example.com', PLUGBOARD_ADMIN_PASSWORD: 'bench-password-123', PLUGBOARD_ADMIN_TOKEN: TOKEN }, logger: pino({ level: 'silent' }) })
const db = studio.database.db
const figures = { db: args.db, rows: ROWS }

const record = (i) => ({
  at: Date.now(), requestId: `bench-${i}`, api: 'chat.completions', appId: `app-${i % 10}`, userId: null, llm: 'mock', model: 'mock-gpt',
  status: 200, errorCode: null, promptTokens: 20, completionTokens: 12, cost: 0.00004, latencyMs: 3.5, streamed: i % 2 === 0, aborted: false,
})

try {
  // 1. Ingest
  const writer = new AnalyticsWriter({ db, ownerOf: (appId) => `owner-of-${appId}` })
  let i = 0
  let maxBacklog = 0
  const paced = performance.now()
  while (performance.now() - paced < 3000) {
    const due = Math.floor(((performance.now() - paced) / 1000) * 5000)
    while (i < due) writer.write(record(i++))
    maxBacklog = Math.max(maxBacklog, writer.stats.buffered)
    await sleep(5)
  }
  const pacedEnd = performance.now()
  while (writer.stats.buffered > 0) await sleep(5)
  figures.paced = { offered: i, perSecond: Math.round(i / ((pacedEnd - paced) / 1000)), maxBacklog, drainedMsAfter: Math.round(performance.now() - pacedEnd), dropped: writer.stats.dropped }
  const burstStart = performance.now()
  const before = writer.stats.written
  for (let k = 0; k < 50_000; k++) writer.write(record(i++))
  while (writer.stats.buffered > 0) await sleep(2)
  figures.burst = { records: writer.stats.written - before, perSecond: Math.round((writer.stats.written - before) / ((performance.now() - burstStart) / 1000)), dropped: writer.stats.dropped }
  await writer.close()

  // 2. Queries at ROWS rows
  await db.deleteFrom('requests').execute()
  let t = performance.now()
  await seedRequests(db, ROWS)
  figures.seedMs = Math.round(performance.now() - t)
  t = performance.now()
  await sql`analyze requests`.execute(db)
  figures.analyzeMs = Math.round(performance.now() - t)

  const get = async (url) => {
    const response = await studio.api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
    return JSON.parse(response.body)
  }
  const timed = async (url) => {
    await get(url)
    const times = []
    for (let k = 0; k < 5; k++) {
      const started = performance.now()
      await get(url)
      times.push(performance.now() - started)
    }
    return Math.round(times.sort((a, b) => a - b)[2] * 10) / 10
  }
  figures.firstPageMs = await timed('/api/v1/analytics/requests')
  let cursor = null
  t = performance.now()
  for (let page = 0; page < 250; page++) cursor = (await get(`/api/v1/analytics/requests?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).nextCursor
  figures.walk50kRowsMs = Math.round(performance.now() - t)
  figures.deepPageMs = await timed(`/api/v1/analytics/requests?cursor=${cursor}`)
  figures.appPageMs = await timed('/api/v1/analytics/requests?app=seed-app-3')
  figures.modelPageMs = await timed('/api/v1/analytics/requests?model=claude-haiku')
  figures.statusPageMs = await timed('/api/v1/analytics/requests?status=500')
  // Filters that match nothing: without their index these scan the whole 30 days.
  figures.absentStatusPageMs = await timed('/api/v1/analytics/requests?status=503')
  figures.absentModelPageMs = await timed('/api/v1/analytics/requests?model=nope')
  figures.usageByDayMs = await timed('/api/v1/analytics/usage?groupBy=day')
  figures.latencyMs = await timed('/api/v1/analytics/latency')
  figures.topAppsMs = await timed('/api/v1/analytics/top-apps')
  console.log(JSON.stringify(figures))

  if (args.plans) {
    const { at, id } = await db.selectFrom('requests').select(['at', 'id']).orderBy('at', 'desc').orderBy('id', 'desc').offset(50_000).limit(1).executeTakeFirstOrThrow()
    const from = new Date(Date.now() - 30 * 86_400_000)
    const plans = {
      deep: sql`explain select * from requests where at >= ${from} and at < now() and (at, id) < (${at}, ${id}) order by at desc, id desc limit 51`,
      app: sql`explain select * from requests where at >= ${from} and at < now() and app_id = 'seed-app-3' order by at desc, id desc limit 51`,
      status: sql`explain select * from requests where at >= ${from} and at < now() and status = 500 order by at desc, id desc limit 51`,
      usageByDay: sql`explain select to_char((at at time zone 'UTC')::date, 'YYYY-MM-DD'), count(*), sum(cost) from requests where at >= ${from} and at < now() group by (at at time zone 'UTC')::date`,
    }
    for (const [name, query] of Object.entries(plans)) console.log(name, '\n ', (await query.execute(db)).rows.map((r) => r['QUERY PLAN']).join('\n  '))
  }
} finally {
  await studio.close()
  await postgres?.drop()
  rmSync(dataDir, { recursive: true, force: true })
}
