import { budgetPeriodOf } from '@plugboard/gateway'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AnalyticsWriter, budgetLimitsOf } from '../src/index.js'
import { MY_APPS_QUOTA } from '../src/resources/my-apps.js'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'
import { requestRecord } from './request-records.js'
import { signIn, type SignedIn } from './sign-in.js'

const PASSWORD = 'portal password 1234'

describe.each(DATABASES)('the portal API (/me/apps, /me/usage, /me/budgets) on %s', (kind) => {
  let s: TestStudio
  let ann: SignedIn
  let bob: SignedIn
  let annId: string
  beforeAll(async () => {
    s = await startStudio(kind)
    for (const slug of ['granted', 'other', 'off']) await s.api('POST', '/api/v1/llms', { slug, vendor: 'mock', models: ['m'], enabled: slug !== 'off' })
    annId = (await s.api('POST', '/api/v1/users', { email: 'ann@example.com', role: 'portal', password: PASSWORD })).json.id
    const bobId = (await s.api('POST', '/api/v1/users', { email: 'bob@example.com', role: 'portal', password: PASSWORD })).json.id
    const group = (await s.api('POST', '/api/v1/groups', { name: 'Users' })).json
    await s.api('PUT', `/api/v1/groups/${group.id}/members`, { userIds: [annId, bobId] })
    await s.api('PUT', `/api/v1/groups/${group.id}/grants`, { llms: ['granted', 'off'] })
    ann = await signIn(s, 'ann@example.com', PASSWORD)
    bob = await signIn(s, 'bob@example.com', PASSWORD)
  })
  afterAll(() => s?.close())

  it('creates an app the caller owns, audited as them, and lists and gets only their own apps', async () => {
    const created = await ann.api('POST', '/api/v1/me/apps', { slug: 'ann-bot', name: 'Ann bot', allowedLlms: ['granted'] })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ slug: 'ann-bot', name: 'Ann bot', ownerId: annId, allowedLlms: ['granted'], enabled: true })
    await s.api('POST', '/api/v1/apps', { slug: 'unowned' })
    expect((await bob.api('POST', '/api/v1/me/apps', { slug: 'bob-bot' })).status).toBe(201)

    expect((await ann.api('GET', '/api/v1/me/apps')).json.items.map((a: { slug: string }) => a.slug)).toEqual(['ann-bot'])
    expect((await ann.api('GET', '/api/v1/me/apps/ann-bot')).json.id).toBe(created.json.id)
    const audit = await s.studio.context.db.selectFrom('audit_log').selectAll().where('object_type', '=', 'app').where('object_id', '=', created.json.id).execute()
    expect(audit.map((a) => [a.action, a.actor_type, a.actor_id, a.actor_name])).toEqual([['create', 'user', annId, 'ann@example.com']])
  })

  it("refuses an LLM not granted to the caller's groups (or disabled, or unknown) with VALIDATION_FAILED at its path, and an ownerId in the body", async () => {
    const refused = await ann.api('POST', '/api/v1/me/apps', { slug: 'greedy', allowedLlms: ['granted', 'other', 'off', 'no-such-llm'] })
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'VALIDATION_FAILED' })
    expect(refused.json.error.details.map((d: { path: string }) => d.path)).toEqual(['/allowedLlms/1', '/allowedLlms/2', '/allowedLlms/3'])
    const someoneElse = await ann.api('POST', '/api/v1/me/apps', { slug: 'greedy', ownerId: 'someone' })
    expect(someoneElse.status).toBe(422)
    expect(someoneElse.json.error.details.map((d: { path: string }) => d.path)).toEqual(['/ownerId'])
    expect((await s.api('GET', '/api/v1/apps/greedy')).status).toBe(404)
  })

  it("issues (shown once), lists and revokes keys of the caller's own app; another user's app and keys are 404 to them", async () => {
    const issued = await ann.api('POST', '/api/v1/me/apps/ann-bot/keys', {})
    expect(issued.status).toBe(201)
    expect(issued.json.key).toMatch(/^pb-/)
    const listed = await ann.api('GET', '/api/v1/me/apps/ann-bot/keys')
    expect(listed.json.items).toEqual([expect.objectContaining({ id: issued.json.id, status: 'active' })])
    expect(JSON.stringify(listed.json)).not.toContain(issued.json.key)

    for (const [method, url] of [
      ['GET', '/api/v1/me/apps/ann-bot'],
      ['GET', '/api/v1/me/apps/ann-bot/keys'],
      ['POST', '/api/v1/me/apps/ann-bot/keys'],
      ['DELETE', `/api/v1/me/apps/ann-bot/keys/${issued.json.id}`],
      ['POST', `/api/v1/me/apps/ann-bot/keys/${issued.json.id}/rotate`],
      ['GET', '/api/v1/me/apps/unowned'],
    ] as const) {
      const answer = await bob.api(method, url, method === 'POST' ? {} : undefined)
      expect([method, url, answer.status, answer.json.error.code]).toEqual([method, url, 404, 'NOT_FOUND'])
      expect(answer.json.error.details).toBeUndefined()
    }
    expect((await bob.api('GET', '/api/v1/me/apps/bob-bot/keys')).json.items).toEqual([])
    // A key of Ann's, named under Bob's own app, is no key of that app.
    expect((await bob.api('DELETE', `/api/v1/me/apps/bob-bot/keys/${issued.json.id}`)).status).toBe(404)
    expect((await ann.api('GET', '/api/v1/me/apps/ann-bot/keys')).json.items[0].status).toBe('active')

    expect((await ann.api('DELETE', `/api/v1/me/apps/ann-bot/keys/${issued.json.id}`)).status).toBe(204)
    expect((await ann.api('GET', '/api/v1/me/apps/ann-bot/keys')).json.items[0].status).toBe('revoked')
    const audit = await s.studio.context.db.selectFrom('audit_log').select(['action', 'actor_id']).where('object_type', '=', 'app_key').where('object_id', '=', issued.json.id).orderBy('id').execute()
    expect(audit).toEqual([
      { action: 'issue_key', actor_id: annId },
      { action: 'revoke_key', actor_id: annId },
    ])
  })

  it('refuses apps and keys past the per-user quota with 409 QUOTA_EXCEEDED, concurrent issues included; an admin is not limited on the admin routes', async () => {
    const cara = (await s.api('POST', '/api/v1/users', { email: 'cara@example.com', role: 'portal', password: PASSWORD })).json
    const asCara = await signIn(s, 'cara@example.com', PASSWORD)
    for (let i = 0; i < MY_APPS_QUOTA.apps; i++) await s.api('POST', '/api/v1/apps', { slug: `cara-${i}`, ownerId: cara.id })
    const app = await asCara.api('POST', '/api/v1/me/apps', { slug: 'one-too-many' })
    expect([app.status, app.json.error.code]).toEqual([409, 'QUOTA_EXCEEDED'])
    expect(app.json.error.message).toContain(`${MY_APPS_QUOTA.apps} apps`)

    // Twice the quota at once: the app's row lock counts them one after another.
    const issues = await Promise.all(Array.from({ length: 2 * MY_APPS_QUOTA.keys.active }, () => asCara.api('POST', '/api/v1/me/apps/cara-0/keys', {})))
    expect(issues.filter((r) => r.status === 201)).toHaveLength(MY_APPS_QUOTA.keys.active)
    expect(issues.filter((r) => r.status === 409).map((r) => r.json.error.code)).toEqual(Array(MY_APPS_QUOTA.keys.active).fill('QUOTA_EXCEEDED'))
    // Revoking one makes room for one more.
    const first = issues.find((r) => r.status === 201)!.json
    expect((await asCara.api('DELETE', `/api/v1/me/apps/cara-0/keys/${first.id}`)).status).toBe(204)
    expect((await asCara.api('POST', '/api/v1/me/apps/cara-0/keys', {})).status).toBe(201)
    expect((await asCara.api('POST', '/api/v1/me/apps/cara-0/keys', {})).status).toBe(409)
    // The admin's route is not the portal's quota.
    expect((await s.api('POST', '/api/v1/apps/cara-0/keys', {})).status).toBe(201)
  })

  it('answers an admin route (/api/v1/apps) 403 FORBIDDEN to a portal session', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/apps'],
      ['POST', '/api/v1/apps'],
      ['GET', '/api/v1/apps/ann-bot/keys'],
    ] as const) {
      const answer = await ann.api(method, url, method === 'POST' ? { slug: 'x' } : undefined)
      expect([url, answer.status, answer.json.error.code]).toEqual([url, 403, 'FORBIDDEN'])
    }
  })

  it("sums this month's requests, tokens and cost of the caller's apps only, and shows their apps' budgets with spent and resetsAt", async () => {
    const writer = new AnalyticsWriter({ db: s.studio.context.db, ownerOf: () => undefined })
    const lastMonth = budgetPeriodOf({ kind: 'monthly' }).startsAt - 1000
    for (const record of [
      requestRecord({ requestId: 'u1', appId: 'ann-bot', promptTokens: 10, completionTokens: 5, cost: 0.25 }),
      requestRecord({ requestId: 'u2', appId: 'ann-bot', promptTokens: 20, completionTokens: 10, cost: 0.5, status: 500 }),
      requestRecord({ requestId: 'u3', appId: 'bob-bot', cost: 9 }),
      requestRecord({ requestId: 'u4', at: lastMonth, appId: 'ann-bot', cost: 100 }),
    ])
      writer.write(record)
    await writer.close()

    const usage = await ann.api('GET', '/api/v1/me/usage')
    expect(usage.status).toBe(200)
    expect(usage.json.total).toEqual({ requests: 2, promptTokens: 30, completionTokens: 15, costUsd: 0.75, errors: 1 })
    expect(usage.json.items).toEqual([{ app: 'ann-bot', requests: 2, promptTokens: 30, completionTokens: 15, costUsd: 0.75, errors: 1 }])
    expect(Date.parse(usage.json.from)).toBe(budgetPeriodOf({ kind: 'monthly' }).startsAt)
    await s.api('POST', '/api/v1/users', { email: 'carol@example.com', role: 'portal', password: PASSWORD })
    const noApps = await signIn(s, 'carol@example.com', PASSWORD)
    expect((await noApps.api('GET', '/api/v1/me/usage')).json.total.requests).toBe(0)

    // A slug used again after its app was deleted: the old app's requests are not the new owner's.
    await s.api('POST', '/api/v1/apps', { slug: 'reused-slug' })
    const before = new AnalyticsWriter({ db: s.studio.context.db, ownerOf: () => undefined })
    before.write(requestRecord({ requestId: 'u5', appId: 'reused-slug', cost: 7 }))
    await before.close()
    expect((await s.api('DELETE', '/api/v1/apps/reused-slug')).status).toBe(204)
    expect((await ann.api('POST', '/api/v1/me/apps', { slug: 'reused-slug' })).status).toBe(201)
    expect((await ann.api('GET', '/api/v1/me/usage')).json.total).toMatchObject({ requests: 2, costUsd: 0.75 })

    const budget = (await s.api('POST', '/api/v1/budgets', { appId: 'ann-bot', limitUsd: 10, period: 'monthly' })).json
    await s.api('POST', '/api/v1/budgets', { appId: 'bob-bot', limitUsd: 5, period: 'monthly' })
    await s.api('POST', '/api/v1/budgets', { llmId: 'granted', limitUsd: 50, period: 'monthly' })
    const limit = (await budgetLimitsOf(s.studio.context.db)).find((l) => l.id === budget.id)!
    const held = await s.studio.context.budgets.reserve({ limit, period: budgetPeriodOf(limit.period), amount: 0 })
    if (!held.ok) throw new Error('the budget refused')
    await s.studio.context.budgets.settle(held.reservation, 1.5)

    const budgets = await ann.api('GET', '/api/v1/me/budgets')
    expect(budgets.status).toBe(200)
    expect(budgets.json.items).toEqual([expect.objectContaining({ id: budget.id, limitUsd: 10, period: 'monthly', status: expect.objectContaining({ spentUsd: 1.5, resetsAt: new Date(budgetPeriodOf({ kind: 'monthly' }).resetsAt).toISOString() }) })])
    expect((await noApps.api('GET', '/api/v1/me/budgets')).json.items).toEqual([])
  })
})
