import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '@plugboard/studio/testing'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const CUSTOMER = { email: 'customer@example.com', password: 'customer password 1234' }
const OUTSIDER = { email: 'outsider@example.com', password: 'outsider password 1234' }

describe('portal-feedback in a real Studio', () => {
  let test: TestPlatform
  /** Calls Studio as `user` signed in by cookie, with the CSRF header, as the portal page's rpc does. */
  const as = async (user: { email: string; password: string }) => {
    const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
    const { csrfToken } = (await login.json()) as { csrfToken: string }
    return async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${test.url}${path}`, { method, headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) })
      return { status: response.status, json: (await response.json()) as any }
    }
  }

  beforeAll(async () => {
    test = await startTestPlatform()
    await test.installPlugin('portal-feedback', `file://${packageDir}`, { scopes: ['kv.readwrite'] })
    const customer = await test.api('POST', '/users', { ...CUSTOMER, role: 'portal', name: 'Casey Customer' })
    await test.api('POST', '/users', { ...OUTSIDER, role: 'portal' })
    const group = await test.api('POST', '/groups', { name: 'Customers' })
    expect((await test.api('PUT', `/groups/${group.json.id}/members`, { userIds: [customer.json.id] })).status).toBe(200)
  }, 60_000)
  afterAll(() => test?.close())

  it("shows its page to the Customers group's members only, and its dashboard page to admins", async () => {
    const customer = await as(CUSTOMER)
    expect((await customer('GET', '/api/v1/me/ui/extensions')).json.items).toEqual([
      { plugin: expect.objectContaining({ name: 'portal-feedback', title: 'Feedback' }), pages: [{ path: '/portal/x/portal-feedback', title: 'Send feedback', element: 'portal-feedback-form', moduleUrl: '/plugins/portal-feedback/ui/feedback.js' }] },
    ])
    expect((await (await as(OUTSIDER))('GET', '/api/v1/me/ui/extensions')).json.items).toEqual([])
    const admin = await test.api('GET', '/ui/extensions')
    expect(admin.json.items).toMatchObject([{ plugin: { name: 'portal-feedback' }, sidebar: [{ title: 'Feedback', path: '/x/portal-feedback' }], problems: [] }])
  })

  it('stores what a customer sends with the user Studio verified, which the admin lists', async () => {
    const customer = await as(CUSTOMER)
    const sent = await customer('POST', '/api/v1/me/plugins/portal-feedback/rpc/submit', { rating: 4, message: 'Works <b>well</b>' })
    expect(sent).toMatchObject({ status: 200, json: { result: { id: expect.any(String), at: expect.any(String) } } })
    const listed = await test.api('POST', '/plugins/portal-feedback/rpc/list', {})
    expect(listed.json.result.items).toEqual([{ id: sent.json.result.id, at: sent.json.result.at, rating: 4, message: 'Works <b>well</b>', user: { id: expect.any(String), email: CUSTOMER.email, name: 'Casey Customer' } }])
  })

  it("answers invalid feedback with PLUGIN_RPC_FAILED carrying the plugin's FEEDBACK_INVALID", async () => {
    const refused = await (await as(CUSTOMER))('POST', '/api/v1/me/plugins/portal-feedback/rpc/submit', { rating: 5, message: 'x', user: { email: TEST_ADMIN.email } })
    expect(refused).toMatchObject({ status: 502, json: { error: { code: 'PLUGIN_RPC_FAILED', message: expect.stringContaining('[FEEDBACK_INVALID] unknown field "user"') } } })
  })

  it('refuses submit to a user outside the group, list over portal RPC, and admin RPC to a portal user', async () => {
    const outsider = await as(OUTSIDER)
    expect((await outsider('POST', '/api/v1/me/plugins/portal-feedback/rpc/submit', { rating: 1, message: 'let me in' })).json.error.code).toBe('PORTAL_GROUP_REQUIRED')
    const customer = await as(CUSTOMER)
    expect((await customer('POST', '/api/v1/me/plugins/portal-feedback/rpc/list', {})).json.error.code).toBe('RPC_METHOD_NOT_DECLARED')
    expect((await customer('POST', '/api/v1/plugins/portal-feedback/rpc/list', {})).json.error.code).toBe('FORBIDDEN')
    expect((await test.api('POST', '/plugins/portal-feedback/rpc/list', {})).json.result.items).toHaveLength(1)
  })
})
