import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '@plugboard/studio/testing'
import { CONTEXT_PROPERTY, contextOf, createRpc } from '@plugboard/ui-sdk'

// rpc against a real Studio, signed in as a browser is (session cookie and CSRF token), calling a real plugin.
const heartbeat = fileURLToPath(new URL('../../../examples/plugins/heartbeat-scheduler', import.meta.url))
const feedback = fileURLToPath(new URL('../../../examples/plugins/portal-feedback', import.meta.url))
const CUSTOMER = { email: 'customer@example.com', password: 'customer password 1234' }
const OUTSIDER = { email: 'outsider@example.com', password: 'outsider password 1234' }

interface Session {
  cookie: string
  csrf: string
}

let test: TestPlatform
let session: Session
/** The browser's fetch for `signedIn`: the session cookie goes along with every same-origin request. */
const fetchAs =
  (signedIn: () => Session): typeof fetch =>
  (url, init) =>
    fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: signedIn().cookie } })
const browserFetch = fetchAs(() => session)

async function signIn(user: { email: string; password: string }): Promise<Session> {
  const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })
  return { cookie: login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; '), csrf: ((await login.json()) as { csrfToken: string }).csrfToken }
}

beforeAll(async () => {
  test = await startTestPlatform()
  await test.installPlugin('heartbeat', `file://${heartbeat}`, { scopes: ['kv.readwrite'] })
  await test.installPlugin('portal-feedback', `file://${feedback}`, { scopes: ['kv.readwrite'] })
  const customer = await test.api('POST', '/users', { ...CUSTOMER, role: 'portal' })
  await test.api('POST', '/users', { ...OUTSIDER, role: 'portal' })
  const group = await test.api('POST', '/groups', { name: 'Customers' })
  await test.api('PUT', `/groups/${group.json.id}/members`, { userIds: [customer.json.id] })
  session = await signIn({ email: TEST_ADMIN.email, password: TEST_ADMIN.password })
}, 60_000)
afterAll(() => test?.close())

describe('createRpc', () => {
  it("answers the method's result, sent with the session's CSRF token", async () => {
    const rpc = createRpc({ pluginId: 'heartbeat', csrfToken: () => session.csrf, baseUrl: test.url, fetch: browserFetch })
    expect(await rpc('last')).toBeNull()
  })

  it("throws a PluginUiError with the API's code and message: an undeclared method, no CSRF token, Studio unreachable", async () => {
    const rpc = createRpc({ pluginId: 'heartbeat', csrfToken: () => session.csrf, baseUrl: test.url, fetch: browserFetch })
    await expect(rpc('drop', { all: true })).rejects.toMatchObject({ name: 'PluginUiError', code: 'RPC_METHOD_NOT_DECLARED', status: 403, message: expect.stringContaining('"drop"') })
    const noCsrf = createRpc({ pluginId: 'heartbeat', csrfToken: () => undefined, baseUrl: test.url, fetch: browserFetch })
    await expect(noCsrf('last')).rejects.toMatchObject({ code: 'CSRF_TOKEN_INVALID', status: 403 })
    const away = createRpc({ pluginId: 'heartbeat', csrfToken: () => session.csrf, baseUrl: 'http://127.0.0.1:9', fetch: browserFetch })
    await expect(away('last')).rejects.toMatchObject({ code: 'NETWORK_ERROR' })
  })
})

describe('createRpc in the portal', () => {
  it("calls the plugin's portal RPC, which a user outside the page's groups is refused", async () => {
    const [customer, outsider] = await Promise.all([signIn(CUSTOMER), signIn(OUTSIDER)])
    const portalRpc = (signedIn: Session) => createRpc({ pluginId: 'portal-feedback', surface: 'portal', csrfToken: () => signedIn.csrf, baseUrl: test.url, fetch: fetchAs(() => signedIn) })
    expect(await portalRpc(customer)('submit', { rating: 5, message: 'from the SDK' })).toMatchObject({ at: expect.any(String) })
    await expect(portalRpc(outsider)('submit', { rating: 5, message: 'x' })).rejects.toMatchObject({ name: 'PluginUiError', code: 'PORTAL_GROUP_REQUIRED', status: 403 })
    // The same method over admin RPC is the dashboard's, which a portal user may not call.
    const adminRpc = createRpc({ pluginId: 'portal-feedback', csrfToken: () => customer.csrf, baseUrl: test.url, fetch: fetchAs(() => customer) })
    await expect(adminRpc('list')).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 })
  })
})

describe('contextOf', () => {
  it('answers the context the dashboard set on the element, and UI_CONTEXT_MISSING on one it did not create', () => {
    const context = { plugin: { id: 'p1', name: 'p' }, surface: 'dashboard', user: { id: 'u', email: 'a@example.com', name: 'A', role: 'admin' }, theme: 'light', rpc: async () => null }
    expect(contextOf({ [CONTEXT_PROPERTY]: context })).toBe(context)
    expect(() => contextOf({})).toThrow(expect.objectContaining({ code: 'UI_CONTEXT_MISSING' }))
  })
})
