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
