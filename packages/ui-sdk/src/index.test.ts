import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '@plugboard/studio/testing'
import { CONTEXT_PROPERTY, contextOf, createRpc } from '@plugboard/ui-sdk'

// rpc against a real Studio, signed in as a browser is (session cookie and CSRF token), calling a real plugin.
const heartbeat = fileURLToPath(new URL('../../../examples/plugins/heartbeat-scheduler', import.meta.url))

let test: TestPlatform
let session: { cookie: string; csrf: string }
/** The browser's fetch: the session cookie goes along with every same-origin request. */
const browserFetch: typeof fetch = (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: session.cookie } })

beforeAll(async () => {
  test = await startTestPlatform()
  await test.installPlugin('heartbeat', `file://${heartbeat}`, { scopes: ['kv.readwrite'] })
  const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: TEST_ADMIN.email, password: TEST_ADMIN.password }) })
  session = { cookie: login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; '), csrf: ((await login.json()) as { csrfToken: string }).csrfToken }
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

describe('contextOf', () => {
  it('answers the context the dashboard set on the element, and UI_CONTEXT_MISSING on one it did not create', () => {
    const context = { plugin: { id: 'p1', name: 'p' }, user: { id: 'u', email: 'a@example.com', name: 'A', role: 'admin' }, theme: 'light', rpc: async () => null }
    expect(contextOf({ [CONTEXT_PROPERTY]: context })).toBe(context)
    expect(() => contextOf({})).toThrow(expect.objectContaining({ code: 'UI_CONTEXT_MISSING' }))
  })
})
