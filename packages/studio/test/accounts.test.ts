import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/accounts/secrets.js'
import { createToken } from '../src/resources/auth-routes.js'
import { ADMIN, DATABASES, startStudio, type TestStudio } from './helpers.js'

const PORTAL = { email: 'portal@example.com', password: 'portal user password 1', token: 'pbt_test_portal_token_0123456789' }

type Operation = { method: string; path: string; access: string }

describe.each(DATABASES)('accounts and access on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
    const db = s.studio.context.db
    await db.insertInto('users').values({ id: 'portal-1', email: PORTAL.email, name: 'Portal', role: 'portal', password_hash: await hashPassword(PORTAL.password) }).execute()
    await createToken(db, 'portal-1', 'test', null, PORTAL.token)
  })
  afterAll(() => s?.close())

  const inject = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) =>
    s.studio.api.inject({ method: method as 'GET', url, headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers }, ...(body !== undefined && { payload: JSON.stringify(body) }) })

  it('refuses every route of the OpenAPI document without a session, and every admin route for a portal user', async () => {
    const document = JSON.parse((await inject('GET', '/api/v1/openapi.json')).body) as { paths: Record<string, Record<string, { 'x-access': string }>> }
    const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x'), access: op['x-access'] })))
    expect(operations.length).toBeGreaterThan(8)
    expect(operations.every((op) => ['public', 'user', 'admin'].includes(op.access))).toBe(true)
    for (const op of operations.filter((op) => op.access !== 'public')) {
      const anonymous = await inject(op.method, op.path, {}, op.method === 'GET' || op.method === 'DELETE' ? undefined : {})
      expect([op, anonymous.statusCode, JSON.parse(anonymous.body).error.code]).toEqual([op, 401, 'UNAUTHENTICATED'])
    }
    for (const op of operations.filter((op) => op.access === 'admin')) {
      const portal = await inject(op.method, op.path, { authorization: `Bearer ${PORTAL.token}` }, op.method === 'GET' || op.method === 'DELETE' ? undefined : {})
      expect([op, portal.statusCode, JSON.parse(portal.body).error.code]).toEqual([op, 403, 'FORBIDDEN'])
    }
  })

  it('answers every write route of the OpenAPI document with 422 and field paths for invalid JSON and for a body off its schema', async () => {
    const document = JSON.parse((await inject('GET', '/api/v1/openapi.json')).body) as {
      paths: Record<string, Record<string, { 'x-access': string; requestBody?: { content: Record<string, { schema: { type?: string } }> } }>>
    }
    const writes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.requestBody?.content['application/json']?.schema.type === 'object')
        .map(([method]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') })),
    )
    expect(writes.length).toBeGreaterThan(8)
    const as = { authorization: `Bearer ${ADMIN.token}`, 'content-type': 'application/json' }
    for (const op of writes.filter((op) => op.path !== '/api/v1/auth/login')) {
      const broken = await s.studio.api.inject({ method: op.method as 'POST', url: op.path, headers: as, payload: '{"name": ' })
      expect([op, broken.statusCode, JSON.parse(broken.body).error.code]).toEqual([op, 422, 'INVALID_JSON'])
      const off = await s.studio.api.inject({ method: op.method as 'POST', url: op.path, headers: as, payload: JSON.stringify({ notAField: [1] }) })
      const error = JSON.parse(off.body).error as { code: string; details?: { path: string }[] }
      expect([op, off.statusCode, error.code]).toEqual([op, 422, 'VALIDATION_FAILED'])
      expect(error.details?.length).toBeGreaterThan(0)
    }
  })

  it('answers every route of the OpenAPI document in its error shape, never 500, for hostile ids, NUL bytes, prototype sort keys and dates out of range', async () => {
    const document = JSON.parse((await inject('GET', '/api/v1/openapi.json')).body) as { paths: Record<string, Record<string, unknown>> }
    const as = { authorization: `Bearer ${ADMIN.token}` }
    const forgedCursor = Buffer.from(JSON.stringify({ s: 'createdAt', v: 'not a date', id: 'x' })).toString('base64url')
    const queries = ['sort=__proto__', 'sort=-constructor', 'q=a%00b', 'objectId=%00', 'from=0000-01-01T00:00:00Z', `sort=createdAt&cursor=${forgedCursor}`]
    const requests: { method: string; url: string; body?: unknown }[] = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).flatMap((method) => {
        const withId = (id: string) => path.replace(/\{[^}]+\}/g, id)
        const urls = path.includes('{') ? ['%00', 'a'.repeat(300), '%FF'].map(withId) : []
        if (method === 'get') urls.push(...queries.map((q) => `${withId('x')}?${q}`))
        return urls.map((url) => ({ method: method.toUpperCase(), url }))
      }),
    )
    requests.push(
      { method: 'POST', url: '/api/v1/llms', body: { slug: 'nul', name: 'a\u0000b', vendor: 'mock', models: ['m'] } },
      { method: 'POST', url: '/api/v1/apps', body: { slug: 'nul', name: 'n', metadata: { note: '\u0000' } } },
      { method: 'POST', url: '/api/v1/budgets', body: { llmId: 'x', limitUsd: 1, period: 'custom', periodDays: 1, anchor: '0000-01-01T00:00:00Z' } },
    )
    for (const { method, url, body } of requests) {
      const response = await inject(method, url, as, body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}))
      const error = (JSON.parse(response.body) as { error?: { code?: unknown } }).error
      expect([method, url.slice(0, 80), response.statusCode < 500, response.statusCode < 400 || typeof error?.code === 'string']).toEqual([method, url.slice(0, 80), true, true])
    }
  })

  it('signs in with an HttpOnly SameSite cookie; a write by cookie needs the CSRF token; sign-out ends the session', async () => {
    const login = await inject('POST', '/api/v1/auth/login', {}, { email: ADMIN.email.toUpperCase(), password: ADMIN.password })
    expect(login.statusCode).toBe(200)
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] as string | string[])
    const session = cookies.find((c) => c.startsWith('pb_session='))!
    expect(session).toMatch(/HttpOnly/)
    expect(session).toMatch(/SameSite=Strict/)
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ')
    const { csrfToken } = JSON.parse(login.body) as { csrfToken: string }

    expect(JSON.parse((await inject('GET', '/api/v1/me', { cookie })).body)).toMatchObject({ email: ADMIN.email, role: 'admin', via: 'session' })
    const llm = { slug: 'by-cookie', vendor: 'mock', models: ['m'] }
    const withoutCsrf = await inject('POST', '/api/v1/llms', { cookie }, llm)
    expect([withoutCsrf.statusCode, JSON.parse(withoutCsrf.body).error.code]).toEqual([403, 'CSRF_TOKEN_INVALID'])
    expect((await inject('POST', '/api/v1/llms', { cookie, 'x-csrf-token': 'wrong' }, llm)).statusCode).toBe(403)
    expect((await inject('POST', '/api/v1/llms', { cookie, 'x-csrf-token': csrfToken }, llm)).statusCode).toBe(201)

    expect((await inject('POST', '/api/v1/auth/logout', { cookie, 'x-csrf-token': csrfToken })).statusCode).toBe(204)
    expect((await inject('GET', '/api/v1/me', { cookie })).statusCode).toBe(401)
  })

  it('throttles failed sign-ins per email, answering 429 with Retry-After, and does not say whether the email exists', async () => {
    const wrong = await inject('POST', '/api/v1/auth/login', {}, { email: PORTAL.email, password: 'nope' })
    const unknown = await inject('POST', '/api/v1/auth/login', {}, { email: 'nobody@example.com', password: 'nope' })
    expect(JSON.parse(wrong.body).error).toEqual(JSON.parse(unknown.body).error)
    for (let i = 0; i < 4; i++) expect((await inject('POST', '/api/v1/auth/login', {}, { email: PORTAL.email, password: 'nope' })).statusCode).toBe(401)
    const throttled = await inject('POST', '/api/v1/auth/login', {}, { email: PORTAL.email, password: PORTAL.password })
    expect(throttled.statusCode).toBe(429)
    expect(JSON.parse(throttled.body).error.code).toBe('LOGIN_THROTTLED')
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('throttles failed sign-ins sent all at once as it does one after another', async () => {
    const email = 'concurrent@example.com'
    const attempts = await Promise.all(Array.from({ length: 12 }, () => inject('POST', '/api/v1/auth/login', {}, { email, password: 'nope' })))
    const statuses = attempts.map((a) => a.statusCode)
    expect(statuses.filter((status) => status === 401)).toHaveLength(5)
    expect(statuses.filter((status) => status === 429)).toHaveLength(7)
  })

  it('issues a personal token shown once, refuses it once expired or revoked', async () => {
    const created = await inject('POST', '/api/v1/me/tokens', { authorization: `Bearer ${ADMIN.token}` }, { name: 'ci' })
    expect(created.statusCode).toBe(201)
    const { token, id } = JSON.parse(created.body) as { token: string; id: string }
    expect(token).toMatch(/^pbt_/)
    const listed = await inject('GET', '/api/v1/me/tokens', { authorization: `Bearer ${ADMIN.token}` })
    expect(listed.body).not.toContain(token)
    expect((await inject('GET', '/api/v1/me', { authorization: `Bearer ${token}` })).statusCode).toBe(200)
    expect((await inject('DELETE', `/api/v1/me/tokens/${id}`, { authorization: `Bearer ${ADMIN.token}` })).statusCode).toBe(204)
    expect((await inject('GET', '/api/v1/me', { authorization: `Bearer ${token}` })).statusCode).toBe(401)

    await createToken(s.studio.context.db, 'portal-1', 'old', new Date(Date.now() - 1000), 'pbt_expired_token_0123456789')
    const expired = await inject('GET', '/api/v1/me', { authorization: 'Bearer pbt_expired_token_0123456789' })
    expect([expired.statusCode, JSON.parse(expired.body).error.code]).toEqual([401, 'TOKEN_EXPIRED'])
    expect((await inject('POST', '/api/v1/me/tokens', { authorization: `Bearer ${ADMIN.token}` }, { name: 'x', expiresAt: '2000-01-01T00:00:00Z' })).statusCode).toBe(422)
    expect((await inject('GET', '/api/v1/me', { authorization: 'Basic abc' })).statusCode).toBe(401)
  })
})
