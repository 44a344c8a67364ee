import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, TEST_ADMIN as ADMIN, type TestPlatform } from '../src/test-platform.js'

// Plugin UI through `plugboard up`: assets at /plugins/{name}/ui/… (left to Studio by the gateway),
// the dashboard's slots at /api/v1/ui/extensions, and admin RPC refused to portal users.

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
const source = new URL('./fixtures/ui-plugin.mjs', import.meta.url).href
const PORTAL = { email: 'portal@example.com', password: 'portal password 1234' }

let test: TestPlatform
const asset = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${test.url}/plugins/ui-fixture/ui/${path}`, { headers: { authorization: `Bearer ${ADMIN.token}`, ...headers } })
/** A GET of `path` as sent, which `fetch` would normalise first (dot segments resolved, backslashes made slashes). */
const rawAsset = (path: string) =>
  new Promise<{ status: number; code: string }>((resolve, reject) => {
    const sent = request(`${test.url}/plugins/ui-fixture/ui/`, { path: `/plugins/ui-fixture/ui/${path}`, headers: { authorization: `Bearer ${ADMIN.token}` } }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode!, code: JSON.parse(body).error?.code }))
    })
    sent.on('error', reject).end()
  })
const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code

/** A browser session of `user`: the cookie, and the CSRF header writes need. */
async function sessionOf(user: { email: string; password: string }) {
  const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })
  expect(login.status).toBe(200)
  const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
  const { csrfToken } = (await login.json()) as { csrfToken: string }
  return { cookie, 'x-csrf-token': csrfToken }
}

beforeAll(async () => {
  test = await startTestPlatform()
  await test.installPlugin('ui-fixture', source)
}, 60_000)
afterAll(() => test?.close())

describe('plugin UI assets at /plugins/{name}/ui/…', () => {
  it('serves JavaScript as text/javascript with nosniff and the CSP, revalidated by an ETag of the body (304 when it matches)', async () => {
    const script = await asset('page.js')
    expect(script.status).toBe(200)
    expect(await script.text()).toBe('export const page = 1\n')
    expect(Object.fromEntries(script.headers)).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, 'cache-control': 'private, no-cache' })
    const tag = script.headers.get('etag')!
    expect(tag).toMatch(/^"[\w-]{27}"$/)
    const again = await asset('page.js', { 'if-none-match': tag })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect((await asset('page.js', { 'if-none-match': '"other"' })).status).toBe(200)
  })

  it('caches a file whose name carries a hash for good, and serves SVG under the CSP', async () => {
    const hashed = await asset('chunks/page-3f9a1c2b.js')
    expect(hashed.headers.get('cache-control')).toBe('private, max-age=31536000, immutable')
    const svg = await asset('icon.svg')
    expect(svg.headers.get('content-type')).toBe('image/svg+xml')
    expect(svg.headers.get('content-security-policy')).toBe(CSP)
  })

  it('answers a missing asset with PLUGIN_ASSET_NOT_FOUND, and a type off the allow-list or an error status with PLUGIN_ASSET_FAILED', async () => {
    const missing = await asset('nothing.js')
    expect(missing.status).toBe(404)
    expect(await errorCode(missing)).toBe('PLUGIN_ASSET_NOT_FOUND')
    const html = await asset('page.html')
    expect(html.status).toBe(502)
    expect(await errorCode(html)).toBe('PLUGIN_ASSET_FAILED')
    expect((await asset('broken.js')).status).toBe(502)
    const nobody = await fetch(`${test.url}/plugins/nobody/ui/page.js`, { headers: { authorization: `Bearer ${ADMIN.token}` } })
    expect(nobody.status).toBe(404)
    expect(await errorCode(nobody)).toBe('PLUGIN_ASSET_NOT_FOUND')
  })

  it('refuses dot segments, encoded slashes, backslashes and malformed escapes without asking the plugin', async () => {
    const before = ((await test.api('POST', '/plugins/ui-fixture/rpc/asked', {})).json.result as string[]).length
    for (const path of ['..%2Fsecret.js', 'a/%2e%2e/page.js', 'a/../page.js', './page.js', 'a%5cpage.js', 'a\\page.js', 'a//page.js']) {
      expect(await rawAsset(path), path).toEqual({ status: 400, code: 'PLUGIN_ASSET_PATH_INVALID' })
    }
    // Fastify refuses a malformed %-escape before any route sees it.
    expect(await rawAsset('%E0%A4%A.js')).toEqual({ status: 422, code: 'VALIDATION_FAILED' })
    expect(((await test.api('POST', '/plugins/ui-fixture/rpc/asked', {})).json.result as string[]).length).toBe(before)
  })

  it('is for signed-in users: a portal user is refused (403) the assets of a plugin with no portal page for them', async () => {
    expect((await fetch(`${test.url}/plugins/ui-fixture/ui/page.js`)).status).toBe(401)
    await test.api('POST', '/users', { ...PORTAL, role: 'portal' })
    const portal = await fetch(`${test.url}/plugins/ui-fixture/ui/page.js`, { headers: { cookie: (await sessionOf(PORTAL)).cookie } })
    expect(portal.status).toBe(403)
  })
})

describe('GET /api/v1/ui/extensions', () => {
  it("answers each enabled UI plugin's slots, a bad entry skipped and named in its problems", async () => {
    const answer = await test.api('GET', '/ui/extensions')
    expect(answer.status).toBe(200)
    expect(answer.json.items).toEqual([
      {
        plugin: { id: expect.any(String), name: 'ui-fixture', title: 'UI fixture' },
        routes: [{ path: '/x/ui-fixture', title: 'Fixture', element: 'ui-fixture-page', moduleUrl: '/plugins/ui-fixture/ui/page.js' }],
        sidebar: [{ title: 'Fixture', path: '/x/ui-fixture' }],
        appTabs: [{ title: 'Fixture tab', element: 'ui-fixture-app-tab', moduleUrl: '/plugins/ui-fixture/ui/page.js' }],
        llmTabs: [],
        settings: [],
        problems: [{ path: '/ui/routes/1/element', message: expect.stringContaining('"ui-fixture-"') }],
      },
    ])
  })

  it('leaves out a disabled plugin', async () => {
    expect((await test.api('POST', '/plugins/ui-fixture/disable')).status).toBe(200)
    expect((await test.api('GET', '/ui/extensions')).json.items).toEqual([])
    expect((await asset('page.js')).status).toBe(404)
    expect((await test.api('POST', '/plugins/ui-fixture/enable')).status).toBe(200)
  })
})

describe('admin RPC', () => {
  it('reaches the plugin with the host-verified admin of a browser session', async () => {
    const headers = await sessionOf({ email: ADMIN.email, password: ADMIN.password })
    const answer = await fetch(`${test.url}/api/v1/plugins/ui-fixture/rpc/whoami`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"user":{"email":"forged@example.com"}}' })
    expect(answer.status).toBe(200)
    expect(((await answer.json()) as { result: unknown }).result).toMatchObject({ user: { email: ADMIN.email, roles: ['admin'] } })
  })

  it('is refused to a portal user with 403 FORBIDDEN, the plugin never called', async () => {
    const headers = await sessionOf(PORTAL)
    const refused = await fetch(`${test.url}/api/v1/plugins/ui-fixture/rpc/whoami`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')
    expect((await fetch(`${test.url}/api/v1/ui/extensions`, { headers: { cookie: headers.cookie } })).status).toBe(403)
  })
})
