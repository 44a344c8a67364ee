import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { budgetPeriodOf, type BudgetLimit } from '@plugboard/gateway'
import { budgetLimitsOf, StudioBudgetStore, type BudgetAlert } from '../src/index.js'
import { pino } from 'pino'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

const DAY = 86_400_000

describe.each(DATABASES)('budgets on %s', (kind) => {
  let s: TestStudio
  let llmId: string
  const appIds: string[] = []

  /** An app row (the apps resource is another module's): its id. */
  async function newApp(slug: string): Promise<string> {
    const id = randomUUID()
    await s.studio.context.db.insertInto('apps').values({ id, slug, name: slug, metadata: '{}' }).execute()
    appIds.push(id)
    return id
  }
  const store = (): StudioBudgetStore => s.studio.context.budgets
  const limitOf = async (id: string): Promise<BudgetLimit> => (await budgetLimitsOf(s.studio.context.db)).find((limit) => limit.id === id)!
  /** Reserves nothing and settles `cost`: what a request of that cost does to the budget. */
  async function spend(limit: BudgetLimit, cost: number): Promise<void> {
    const result = await store().reserve({ limit, period: budgetPeriodOf(limit.period), amount: 0 })
    if (!result.ok) throw new Error(`budget ${limit.id} refused`)
    await store().settle(result.reservation, cost)
  }

  beforeAll(async () => {
    s = await startStudio(kind)
    llmId = (await s.api('POST', '/api/v1/llms', { slug: 'mock', vendor: 'mock', models: ['mock-gpt'] })).json.id
  })
  afterAll(() => s?.close())

  it('creates, reads, lists, updates with If-Match and deletes budgets; one per app and one per LLM', async () => {
    const appId = await newApp('crud-app')
    const created = await s.api('POST', '/api/v1/budgets', { appId: 'crud-app', limitUsd: 25, period: 'monthly' })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ appId, llmId: null, limitUsd: 25, period: 'monthly', periodDays: null, thresholds: [50, 80, 100], enabled: true, version: 1 })
    expect(created.json.status).toMatchObject({ spentUsd: 0, reservedUsd: 0, alerts: [] })
    expect(created.headers.etag).toBe('"1"')

    const perLlm = await s.api('POST', '/api/v1/budgets', { llmId: 'mock', limitUsd: 100, period: 'custom', periodDays: 7, thresholds: [90, 25] })
    expect(perLlm.status).toBe(201)
    expect(perLlm.json).toMatchObject({ appId: null, llmId, periodDays: 7, thresholds: [25, 90] })

    const twice = await s.api('POST', '/api/v1/budgets', { appId, limitUsd: 5, period: 'monthly' })
    expect(twice.status).toBe(409)
    expect(twice.json.error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: '/appId' }] })
    expect((await s.api('POST', '/api/v1/budgets', { llmId, limitUsd: 5, period: 'monthly' })).json.error.details[0].path).toBe('/llmId')

    const stale = await s.api('PATCH', `/api/v1/budgets/${created.json.id}`, { limitUsd: 30 }, { 'if-match': '"9"' })
    expect(stale.status).toBe(412)
    expect(stale.json.error.code).toBe('VERSION_MISMATCH')
    const updated = await s.api('PATCH', `/api/v1/budgets/${created.json.id}`, { limitUsd: 30, enabled: false }, { 'if-match': '"1"' })
    expect(updated.status).toBe(200)
    expect(updated.json).toMatchObject({ limitUsd: 30, enabled: false, version: 2 })

    // The gateway gets the enabled ones, by the slug of their app or LLM.
    const limits = await budgetLimitsOf(s.studio.context.db)
    expect(limits.find((limit) => limit.id === created.json.id)).toBeUndefined()
    expect(limits.find((limit) => limit.id === perLlm.json.id)).toEqual({
      id: perLlm.json.id,
      scope: 'llm',
      target: 'mock',
      limitUsd: 100,
      period: { kind: 'days', days: 7, anchor: Date.parse(perLlm.json.anchor) },
      thresholds: [25, 90],
    })

    expect((await s.api('GET', `/api/v1/budgets?appId=${appId}`)).json.items.map((b: { id: string }) => b.id)).toEqual([created.json.id])
    expect((await s.api('GET', '/api/v1/budgets?enabled=false')).json.items.map((b: { id: string }) => b.id)).toEqual([created.json.id])

    expect((await s.api('DELETE', `/api/v1/budgets/${created.json.id}`, undefined, { 'if-match': '"1"' })).status).toBe(412)
    expect((await s.api('DELETE', `/api/v1/budgets/${created.json.id}`, undefined, { 'if-match': '"2"' })).status).toBe(204)
    expect((await s.api('GET', `/api/v1/budgets/${created.json.id}`)).status).toBe(404)
    expect((await s.api('DELETE', `/api/v1/budgets/${perLlm.json.id}`)).status).toBe(204)
  })

  it.each([
    ['neither appId nor llmId', { limitUsd: 1, period: 'monthly' }, ['/appId']],
    ['both appId and llmId', { appId: 'x', llmId: 'mock', limitUsd: 1, period: 'monthly' }, ['/llmId']],
    ['a custom period without its days', { llmId: 'mock', limitUsd: 1, period: 'custom' }, ['/periodDays']],
    ['days for a monthly period', { llmId: 'mock', limitUsd: 1, period: 'monthly', periodDays: 7 }, ['/periodDays']],
    ['a period too long', { llmId: 'mock', limitUsd: 1, period: 'custom', periodDays: 3661 }, ['/periodDays']],
    ['a zero limit, an unknown period, an anchor that is no time', { llmId: 'mock', limitUsd: 0, period: 'weekly', anchor: 'soon' }, ['/limitUsd', '/period', '/anchor']],
    ['thresholds out of 1..100', { llmId: 'mock', limitUsd: 1, period: 'monthly', thresholds: [0, 101] }, ['/thresholds/0', '/thresholds/1']],
    ['a threshold twice', { llmId: 'mock', limitUsd: 1, period: 'monthly', thresholds: [50, 50] }, ['/thresholds']],
    ['an unknown field', { llmId: 'mock', limitUsd: 1, period: 'monthly', owner: 'me' }, ['/owner']],
  ])('refuses %s with 422 and the field paths', async (_name, body, paths) => {
    const response = await s.api('POST', '/api/v1/budgets', body)
    expect(response.status).toBe(422)
    expect(response.json.error.code).toBe('VALIDATION_FAILED')
    expect(response.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(paths))
  })

  it('refuses a budget of an unknown app or LLM (422), and a patch that breaks its period or names no budget', async () => {
    const unknown = await s.api('POST', '/api/v1/budgets', { appId: 'ghost', limitUsd: 1, period: 'monthly' })
    expect(unknown.status).toBe(422)
    expect(unknown.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/appId' }] })
    expect((await s.api('POST', '/api/v1/budgets', { llmId: 'ghost', limitUsd: 1, period: 'monthly' })).json.error.details[0].path).toBe('/llmId')
    expect((await s.api('POST', '/api/v1/budgets', '{"limitUsd":')).json.error.code).toBe('INVALID_JSON')

    await newApp('patch-app')
    const budget = (await s.api('POST', '/api/v1/budgets', { appId: 'patch-app', limitUsd: 1, period: 'custom', periodDays: 30 })).json
    const noDays = await s.api('PATCH', `/api/v1/budgets/${budget.id}`, { periodDays: null })
    expect(noDays.status).toBe(422)
    expect(noDays.json.error.details[0].path).toBe('/periodDays')
    expect((await s.api('PATCH', `/api/v1/budgets/${budget.id}`, {})).status).toBe(422)
    // Back to monthly: the period length goes with it.
    expect((await s.api('PATCH', `/api/v1/budgets/${budget.id}`, { period: 'monthly' })).json).toMatchObject({ period: 'monthly', periodDays: null })
    expect((await s.api('PATCH', '/api/v1/budgets/no-such-budget', { limitUsd: 2 })).status).toBe(404)
    expect((await s.api('PATCH', `/api/v1/budgets/${budget.id}`, { limitUsd: 2 }, { 'if-match': 'nope' })).status).toBe(400)
  })

  it('reports when the period started and resets, for a monthly and a custom period', async () => {
    await newApp('monthly-app')
    const monthly = (await s.api('POST', '/api/v1/budgets', { appId: 'monthly-app', limitUsd: 1, period: 'monthly' })).json
    const now = new Date()
    expect(monthly.status.periodStart).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth())).toISOString())
    expect(monthly.status.resetsAt).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1)).toISOString())

    await newApp('weekly-app')
    const anchor = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 10 * DAY
    const weekly = (await s.api('POST', '/api/v1/budgets', { appId: 'weekly-app', limitUsd: 1, period: 'custom', periodDays: 7, anchor: new Date(anchor).toISOString() })).json
    // Ten days after the anchor: the second 7-day period, which resets at anchor + 14 days.
    expect(weekly.status.periodStart).toBe(new Date(anchor + 7 * DAY).toISOString())
    expect(weekly.status.resetsAt).toBe(new Date(anchor + 14 * DAY).toISOString())
    // A new anchor moves the reset.
    const moved = await s.api('PATCH', `/api/v1/budgets/${weekly.id}`, { anchor: new Date(anchor - 2 * DAY).toISOString() })
    expect(moved.json.status.resetsAt).toBe(new Date(anchor + 12 * DAY).toISOString())
  })

  it('keeps what was spent across a restart, written behind to budget_usage, and reports it', async () => {
    await newApp('persist-app')
    const budget = (await s.api('POST', '/api/v1/budgets', { appId: 'persist-app', limitUsd: 10, period: 'monthly' })).json
    const limit = await limitOf(budget.id)
    const held = await store().reserve({ limit, period: budgetPeriodOf(limit.period), amount: 0.5 })
    expect((await s.api('GET', `/api/v1/budgets/${budget.id}`)).json.status).toMatchObject({ spentUsd: 0, reservedUsd: 0.5 })
    if (!held.ok) throw new Error('refused')
    await store().settle(held.reservation, 0.25)
    await spend(limit, 0.5)
    expect((await s.api('GET', `/api/v1/budgets/${budget.id}`)).json.status).toMatchObject({ spentUsd: 0.75, reservedUsd: 0 })

    await s.restart()
    expect((await s.api('GET', `/api/v1/budgets/${budget.id}`)).json.status).toMatchObject({ spentUsd: 0.75, reservedUsd: 0 })
    await spend(await limitOf(budget.id), 0.25)
    await store().flush()
    const rows = await s.studio.context.db.selectFrom('budget_usage').selectAll().where('budget_id', '=', budget.id).execute()
    expect(rows.map((row) => [row.period_start.toISOString(), row.spent])).toEqual([[budget.status.periodStart, 1]])
  })

  it('writes a settle after a quiet interval at once (a crash then loses nothing), and the ones right after it at the next interval', async () => {
    await newApp('quiet-app')
    const budget = (await s.api('POST', '/api/v1/budgets', { appId: 'quiet-app', limitUsd: 10, period: 'monthly' })).json
    const limit = await limitOf(budget.id)
    const quiet = await StudioBudgetStore.open({ db: s.studio.context.db, logger: pino({ level: 'silent' }), flushIntervalMs: 60_000 })
    const stored = async () => (await s.studio.context.db.selectFrom('budget_usage').select('spent').where('budget_id', '=', budget.id).executeTakeFirst())?.spent
    try {
      const settle = async (cost: number) => {
        const held = await quiet.reserve({ limit, period: budgetPeriodOf(limit.period), amount: 0 })
        if (!held.ok) throw new Error('refused')
        await quiet.settle(held.reservation, cost)
      }
      await settle(0.25)
      await expect.poll(stored, { timeout: 2_000 }).toBe(0.25)
      await settle(0.5)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(await stored()).toBe(0.25)
      await quiet.flush()
      expect(await stored()).toBe(0.75)
    } finally {
      await quiet.close()
    }
  })

  it('raises each threshold alert once per period, at 50, 80 and 100 %, and shows them in the API', async () => {
    await newApp('alert-app')
    const budget = (await s.api('POST', '/api/v1/budgets', { appId: 'alert-app', limitUsd: 1, period: 'monthly' })).json
    const raised: BudgetAlert[] = []
    let stop = store().alerts.subscribe((alert) => raised.push(alert))
    const limit = await limitOf(budget.id)
    for (const cost of [0.3, 0.25, 0.1, 0.2]) await spend(limit, cost)
    // Two reservations open before the limit is reached; both settle past it.
    const period = budgetPeriodOf(limit.period)
    const last = [await store().reserve({ limit, period, amount: 0 }), await store().reserve({ limit, period, amount: 0 })]
    for (const held of last) if (held.ok) await store().settle(held.reservation, 0.2)
    await store().flush()
    stop()
    expect(raised.map((alert) => [alert.threshold, Number(alert.spentUsd.toFixed(2))])).toEqual([
      [50, 0.55],
      [80, 0.85],
      [100, 1.05],
    ])
    expect(raised[0]).toMatchObject({ budgetId: budget.id, scope: 'app', target: 'alert-app', limitUsd: 1, periodStart: budget.status.periodStart, resetsAt: budget.status.resetsAt })
    const shown = (await s.api('GET', `/api/v1/budgets/${budget.id}`)).json.status.alerts
    expect(shown.map((alert: { threshold: number; spentUsd: number }) => [alert.threshold, Number(alert.spentUsd.toFixed(2))])).toEqual([
      [50, 0.55],
      [80, 0.85],
      [100, 1.05],
    ])
    expect(shown.every((alert: { at: string }) => Date.parse(alert.at) > Date.now() - 60_000)).toBe(true)

    // Once per period, across a restart too: with a higher limit, passing 50 and 80 % of it again raises neither.
    await s.restart()
    raised.length = 0
    stop = store().alerts.subscribe((alert) => raised.push(alert))
    await s.api('PATCH', `/api/v1/budgets/${budget.id}`, { limitUsd: 2 })
    await spend(await limitOf(budget.id), 0.4)
    await store().flush()
    stop()
    expect(raised).toEqual([])
    expect((await s.api('GET', `/api/v1/budgets/${budget.id}`)).json.status.alerts).toHaveLength(3)
  })
})
