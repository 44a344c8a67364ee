import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Platform } from '../src/index.js'
import { ADMIN, DATABASES, freshPostgres } from './helpers.js'
import { until } from './request-records.js'

const admin = { authorization: `Bearer ${ADMIN.token}`, 'content-type': 'application/json' }

function chat(url: string, key: string, model = 'mock-gpt') {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  })
}

describe.each(DATABASES)('plugboard up on %s: the gateway is fed live from Studio', (kind) => {
  let platform: Platform
  let dataDir: string
  let drop: (() => Promise<void>) | undefined
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pb-up-'))
    const postgres = kind === 'postgres' ? await freshPostgres() : undefined
    drop = postgres?.drop
    platform = await Platform.start({
      dataDir,
      databaseUrl: postgres?.url,
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      env: { PLUGBOARD_ADMIN_EMAIL: ADMIN.email, PLUGBOARD_ADMIN_PASSWORD: ADMIN.password, PLUGBOARD_ADMIN_TOKEN: ADMIN.token },
    })
  })
  afterAll(async () => {
    await platform?.close()
    await drop?.()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('serves the admin API and the gateway on one port', async () => {
    const openapi = await fetch(`${platform.url}/api/v1/openapi.json`)
    expect(openapi.status).toBe(200)
    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0')
    expect((await fetch(`${platform.url}/health`)).status).toBe(200)
    const unknown = await fetch(`${platform.url}/api/v1/nope`)
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND')
  })

  it('serves a change made through the API on the very next request, and stops serving what is disabled or deleted', async () => {
    const llm = await fetch(`${platform.url}/api/v1/llms`, { method: 'POST', headers: admin, body: JSON.stringify({ slug: 'live', vendor: 'mock', models: ['live-model'] }) })
    expect(llm.status).toBe(201)
    const applied = await fetch(`${platform.url}/api/v1/config/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ apps: [{ id: 'live-app', keys: [{ value: 'pb-live-key-0123456789' }], allowedLlms: ['live'] }] }),
    })
    expect(applied.status).toBe(200)
    // No wait: the write's answer came once the gateway applied it.
    const served = await chat(platform.url, 'pb-live-key-0123456789', 'live-model')
    expect(served.status).toBe(200)

    const { version } = (await (await fetch(`${platform.url}/api/v1/llms/live`, { headers: admin })).json()) as { version: number }
    const disabled = await fetch(`${platform.url}/api/v1/llms/live`, { method: 'PATCH', headers: { ...admin, 'if-match': `"${version}"` }, body: JSON.stringify({ enabled: false }) })
    expect(disabled.status).toBe(200)
    expect((await chat(platform.url, 'pb-live-key-0123456789', 'live-model')).status).toBe(404)

    const removed = await fetch(`${platform.url}/api/v1/config/apply`, { method: 'POST', headers: admin, body: JSON.stringify({ apps: [] }) })
    expect(((await removed.json()) as { changes: unknown[] }).changes).toEqual([{ section: 'apps', key: 'live-app', action: 'delete' }])
    const refused = await chat(platform.url, 'pb-live-key-0123456789', 'live-model')
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('INVALID_API_KEY')
  })

  it('records every proxied request in the analytics, off the request path, with the app owner as its user', async () => {
    const me = (await (await fetch(`${platform.url}/api/v1/me`, { headers: admin })).json()) as { id: string; email: string }
    await fetch(`${platform.url}/api/v1/config/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }], apps: [{ id: 'owned', owner: me.email, keys: [{ value: 'pb-owned-key-0123456789' }], allowedLlms: ['mock'] }] }),
    })
    const response = await chat(platform.url, 'pb-owned-key-0123456789')
    expect(response.status).toBe(200)
    const requestId = response.headers.get('x-request-id')
    type Logged = { requestId: string; appId: string; userId: string; llm: string; status: number; promptTokens: number }
    let found: Logged | undefined
    for (let attempt = 0; attempt < 50 && !found; attempt++) {
      const page = (await (await fetch(`${platform.url}/api/v1/analytics/requests?app=owned`, { headers: admin })).json()) as { items: Logged[] }
      found = page.items.find((item) => item.requestId === requestId)
      if (!found) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(found).toMatchObject({ appId: 'owned', userId: me.id, llm: 'mock', status: 200 })
    expect(found!.promptTokens).toBeGreaterThan(0)
  })

  it("counts a portal user's chat with an LLM as theirs: the analytics' user, and their /me/usage", async () => {
    await fetch(`${platform.url}/api/v1/config/apply`, { method: 'POST', headers: admin, body: JSON.stringify({ llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }] }) })
    const api = async (path: string, body: unknown) => (await fetch(`${platform.url}/api/v1${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) })).json() as Promise<{ id: string }>
    const user = await api('/users', { email: 'chatter@example.com', role: 'portal', password: 'chatter password 1234' })
    const group = await api('/groups', { name: 'Chatters' })
    await fetch(`${platform.url}/api/v1/groups/${group.id}/members`, { method: 'PUT', headers: admin, body: JSON.stringify({ userIds: [user.id] }) })
    await fetch(`${platform.url}/api/v1/groups/${group.id}/grants`, { method: 'PUT', headers: admin, body: JSON.stringify({ llms: ['mock'] }) })
    const login = await fetch(`${platform.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'chatter@example.com', password: 'chatter password 1234' }) })
    const session = { cookie: login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), 'x-csrf-token': ((await login.json()) as { csrfToken: string }).csrfToken, 'content-type': 'application/json' }
    const asUser = (method: string, path: string, body?: unknown) => fetch(`${platform.url}/api/v1${path}`, { method, headers: session, ...(body !== undefined && { body: JSON.stringify(body) }) })
    const conversation = (await (await asUser('POST', '/chat/conversations', { target: { kind: 'llm', name: 'mock' } })).json()) as { id: string }
    const reply = await (await asUser('POST', `/chat/conversations/${conversation.id}/messages`, { content: 'hello' })).text()
    expect(reply).toContain('event: done')

    type Usage = { total: { requests: number }; items: Array<{ app: string; requests: number }> }
    let usage: Usage | undefined
    for (let attempt = 0; attempt < 50 && !usage?.items.length; attempt++) {
      usage = (await (await asUser('GET', '/me/usage')).json()) as Usage
      if (!usage.items.length) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(usage).toMatchObject({ total: { requests: 1 }, items: [{ app: 'studio:chat', requests: 1 }] })
    const logged = (await (await fetch(`${platform.url}/api/v1/analytics/requests?app=studio:chat`, { headers: admin })).json()) as { items: Array<{ userId: string; requestId: string }> }
    expect(logged.items).toEqual([expect.objectContaining({ userId: user.id, requestId: expect.stringMatching(/^chat-/) })])
    // The admin's usage has none of it.
    expect(((await (await fetch(`${platform.url}/api/v1/me/usage`, { headers: admin })).json()) as Usage).items.map((item) => item.app)).not.toContain('studio:chat')
  })

  it("records a chat reply that streamed to its end as not aborted, and one the browser stopped as aborted", async () => {
    // A chunk hook that answers the stream's end late: the reply's [DONE] arrives well before the gateway's response ends.
    const installed = await fetch(`${platform.url}/api/v1/plugins`, { method: 'POST', headers: admin, body: JSON.stringify({ source: new URL('./fixtures/slow-end-plugin.mjs', import.meta.url).href, name: 'slow-end' }) })
    expect(installed.status).toBe(201)
    expect(((await (await fetch(`${platform.url}/api/v1/plugins/slow-end/enable`, { method: 'POST', headers: admin })).json()) as { status: string }).status).toBe('running')
    await fetch(`${platform.url}/api/v1/config/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }, { slug: 'slow', vendor: 'mock', models: ['slow-gpt'], mock: { chunks: 50, chunkDelayMs: 100 } }] }),
    })
    const converse = async (llm: string, signal?: AbortSignal) => {
      const conversation = (await (await fetch(`${platform.url}/api/v1/chat/conversations`, { method: 'POST', headers: admin, body: JSON.stringify({ target: { kind: 'llm', name: llm } }) })).json()) as { id: string }
      return fetch(`${platform.url}/api/v1/chat/conversations/${conversation.id}/messages`, { method: 'POST', headers: admin, body: JSON.stringify({ content: 'hello' }), ...(signal && { signal }) })
    }
    type Logged = { llm: string; aborted: boolean }
    const logged = async (llm: string) => ((await (await fetch(`${platform.url}/api/v1/analytics/requests?app=studio:chat&llm=${llm}`, { headers: admin })).json()) as { items: Logged[] }).items

    expect(await (await converse('mock')).text()).toContain('event: done')
    await until(async () => (await logged('mock')).length === 1)
    expect(await logged('mock')).toEqual([expect.objectContaining({ llm: 'mock', status: 200, aborted: false })])

    const stop = new AbortController()
    const stopped = await converse('slow', stop.signal)
    const reader = stopped.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: content')
    stop.abort()
    await until(async () => (await logged('slow')).length === 1)
    expect(await logged('slow')).toEqual([expect.objectContaining({ llm: 'slow', aborted: true })])
    expect((await fetch(`${platform.url}/api/v1/plugins/slow-end`, { method: 'DELETE', headers: admin })).status).toBe(204)
  })

  it('never takes more than one reservation over an almost-spent budget under 64 concurrent requests, and the budget says so', async () => {
    await fetch(`${platform.url}/api/v1/config/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'], mock: { completionTokens: 100 } }],
        apps: [{ id: 'tight', keys: [{ value: 'pb-tight-key-0123456789' }], allowedLlms: ['mock'] }],
        pricing: { 'mock-gpt': { input: 1000, output: 1000 } },
      }),
    })
    // Each request reserves its most: (prompt + max_tokens 100) × $1,000 per million ≈ $0.11; the limit holds about 9.
    const created = await fetch(`${platform.url}/api/v1/budgets`, { method: 'POST', headers: admin, body: JSON.stringify({ appId: 'tight', limitUsd: 1, period: 'monthly' }) })
    expect(created.status).toBe(201)
    const budget = (await created.json()) as { id: string }
    const send = () =>
      fetch(`${platform.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer pb-tight-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-gpt', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
      })
    const responses = await Promise.all(Array.from({ length: 64 }, send))
    const refused = responses.filter((r) => r.status === 429)
    expect(refused.length + responses.filter((r) => r.status === 200).length).toBe(64)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0]!.headers.get('x-plugboard-budget')).toBe(budget.id)
    expect(refused[0]!.headers.get('x-plugboard-budget-resets-at')).toMatch(/^\d{4}-\d{2}-01T00:00:00/)
    const status = ((await (await fetch(`${platform.url}/api/v1/budgets/${budget.id}`, { headers: admin })).json()) as { status: { spentUsd: number; reservedUsd: number } }).status
    // Charged the real cost, which is at most what was reserved: never over the limit by more than one reservation.
    expect(status.reservedUsd).toBe(0)
    expect(status.spentUsd).toBeLessThanOrEqual(1 + 0.11)
    expect(status.spentUsd).toBeGreaterThan(0.5)

    // Lowered under what is spent: nothing can be served before the reset, and Retry-After says how long that is.
    const { version } = (await (await fetch(`${platform.url}/api/v1/budgets/${budget.id}`, { headers: admin })).json()) as { version: number }
    expect((await fetch(`${platform.url}/api/v1/budgets/${budget.id}`, { method: 'PATCH', headers: { ...admin, 'if-match': `"${version}"` }, body: JSON.stringify({ limitUsd: 0.01 }) })).status).toBe(200)
    const spent = await send()
    expect(spent.status).toBe(429)
    const resetsAt = Date.parse(spent.headers.get('x-plugboard-budget-resets-at')!)
    expect(Number(spent.headers.get('retry-after'))).toBeCloseTo((resetsAt - Date.now()) / 1000, -2)
  })

  it('serves an app a portal user owns only the LLMs their groups are granted, live as grants change', async () => {
    await fetch(`${platform.url}/api/v1/config/apply`, { method: 'POST', headers: admin, body: JSON.stringify({ llms: [{ slug: 'mock', vendor: 'mock', models: ['mock-gpt'] }] }) })
    const user = (await (await fetch(`${platform.url}/api/v1/users`, { method: 'POST', headers: admin, body: JSON.stringify({ email: 'portal-owner@example.com', role: 'portal', password: 'a long portal password' }) })).json()) as { id: string }
    const app = await fetch(`${platform.url}/api/v1/apps`, { method: 'POST', headers: admin, body: JSON.stringify({ slug: 'portal-app', ownerId: user.id, allowedLlms: ['mock'] }) })
    expect(app.status).toBe(201)
    const { key } = (await (await fetch(`${platform.url}/api/v1/apps/portal-app/keys`, { method: 'POST', headers: admin })).json()) as { key: string }
    const refused = await chat(platform.url, key)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('LLM_NOT_ALLOWED')

    const group = (await (await fetch(`${platform.url}/api/v1/groups`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'mock-users' }) })).json()) as { id: string }
    await fetch(`${platform.url}/api/v1/groups/${group.id}/members`, { method: 'PUT', headers: admin, body: JSON.stringify({ userIds: [user.id] }) })
    expect((await chat(platform.url, key)).status).toBe(403)
    await fetch(`${platform.url}/api/v1/groups/${group.id}/grants`, { method: 'PUT', headers: admin, body: JSON.stringify({ llms: ['mock'] }) })
    expect((await chat(platform.url, key)).status).toBe(200)
    await fetch(`${platform.url}/api/v1/groups/${group.id}/members`, { method: 'PUT', headers: admin, body: JSON.stringify({ userIds: [] }) })
    expect((await chat(platform.url, key)).status).toBe(403)
  })
})
