import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestPlatform, TEST_ADMIN as ADMIN, type TestPlatform } from '../src/test-platform.js'

// Portal plugin pages and portal RPC through `plugboard up`: pages listed by the user's groups,
// RPC allowed only for methods a page this user sees declares, with the host-verified user and groups.

const source = new URL('./fixtures/portal-plugin.mjs', import.meta.url).href
const MEMBER = { email: 'member@example.com', password: 'member password 1234' }
const OUTSIDER = { email: 'outsider@example.com', password: 'outsider password 1234' }

let test: TestPlatform
let supportGroup = ''
let memberId = ''

interface Session {
  cookie: string
  'x-csrf-token': string
}

/** A browser session of `user`: the cookie, and the CSRF header writes need. */
async function sessionOf(user: { email: string; password: string }): Promise<Session> {
  const login = await fetch(`${test.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })
  expect(login.status).toBe(200)
  const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
  const { csrfToken } = (await login.json()) as { csrfToken: string }
  return { cookie, 'x-csrf-token': csrfToken }
}

async function call(session: Partial<Session>, path: string, init: { method?: string; body?: string } = {}) {
  const response = await fetch(`${test.url}${path}`, { method: init.method ?? 'GET', headers: { ...session, ...(init.body !== undefined && { 'content-type': 'application/json' }) }, body: init.body })
  const text = await response.text()
  return { status: response.status, json: (text && response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text) as any }
}
const portalRpc = (session: Partial<Session>, method: string, payload: unknown = {}, plugin = 'portal-fixture') =>
  call(session, `/api/v1/me/plugins/${plugin}/rpc/${method}`, { method: 'POST', body: JSON.stringify(payload) })
/** The portal methods the plugin has been called with, read over its admin RPC. */
const calls = async () => (await test.api('POST', '/plugins/portal-fixture/rpc/calls', {})).json.result as string[]

let member: Session
let outsider: Session
let admin: Session

beforeAll(async () => {
  test = await startTestPlatform()
  await test.installPlugin('portal-fixture', source)
  const memberUser = await test.api('POST', '/users', { ...MEMBER, role: 'portal' })
  const outsiderUser = await test.api('POST', '/users', { ...OUTSIDER, role: 'portal' })
  const support = await test.api('POST', '/groups', { name: 'Support' })
  const sales = await test.api('POST', '/groups', { name: 'Sales' })
  ;[supportGroup, memberId] = [support.json.id, memberUser.json.id]
  expect((await test.api('PUT', `/groups/${supportGroup}/members`, { userIds: [memberId] })).status).toBe(200)
  expect((await test.api('PUT', `/groups/${sales.json.id}/members`, { userIds: [memberId, outsiderUser.json.id] })).status).toBe(200)
  ;[member, outsider, admin] = await Promise.all([sessionOf(MEMBER), sessionOf(OUTSIDER), sessionOf({ email: ADMIN.email, password: ADMIN.password })])
}, 60_000)
afterAll(() => test?.close())

describe('GET /api/v1/me/ui/extensions', () => {
  it("lists the open page and the pages of the user's groups, with the user's group names", async () => {
    const answer = await call(member, '/api/v1/me/ui/extensions')
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      groups: ['Sales', 'Support'],
      items: [
        {
          plugin: { id: expect.any(String), name: 'portal-fixture', title: 'Portal fixture' },
          pages: [
            { path: '/portal/x/portal-fixture', title: 'Everyone', element: 'portal-fixture-open', moduleUrl: '/plugins/portal-fixture/ui/page.js' },
            { path: '/portal/x/portal-fixture/support', title: 'Support desk', element: 'portal-fixture-support', moduleUrl: '/plugins/portal-fixture/ui/page.js' },
          ],
        },
      ],
    })
  })

  it('leaves out a page restricted to groups the user is not in, for portal users and admins alike', async () => {
    for (const session of [outsider, admin]) {
      const answer = await call(session, '/api/v1/me/ui/extensions')
      expect(answer.json.items[0].pages.map((page: { title: string }) => page.title)).toEqual(['Everyone'])
    }
    expect((await call({}, '/api/v1/me/ui/extensions')).status).toBe(401)
  })

  it("names a bad portal page among the plugin's problems in the admin's extensions", async () => {
    const answer = await test.api('GET', '/ui/extensions')
    expect(answer.json.items[0].problems).toEqual([{ path: '/portal/pages/2/groups', message: expect.stringContaining('nobody would see the page') }])
  })
})

describe('POST /api/v1/me/plugins/{name}/rpc/{method}', () => {
  it('hands the plugin the host-verified user and groups, whatever the body claims', async () => {
    const forged = { user: { email: 'forged@example.com', roles: ['admin'] }, groups: ['Admins'] }
    const answer = await portalRpc(member, 'tickets', forged)
    expect(answer.status).toBe(200)
    expect(answer.json.result).toEqual({ method: 'tickets', payload: forged, user: { id: memberId, email: MEMBER.email, name: expect.any(String), roles: ['portal'] }, groups: ['Sales', 'Support'] })
  })

  it("refuses a method only a page of other groups declares with 403 PORTAL_GROUP_REQUIRED, the plugin never called", async () => {
    const before = await calls()
    const refused = await portalRpc(outsider, 'tickets')
    expect(refused).toMatchObject({ status: 403, json: { error: { code: 'PORTAL_GROUP_REQUIRED' } } })
    expect((await portalRpc(admin, 'tickets')).json.error.code).toBe('PORTAL_GROUP_REQUIRED')
    // A method an open page declares too is allowed to everyone.
    expect((await portalRpc(outsider, 'whoami')).json.result).toMatchObject({ user: { email: OUTSIDER.email }, groups: ['Sales'] })
    expect(await calls()).toEqual([...before, 'whoami'])
  })

  it('reads the groups at each call: a member removed from the group is refused at once', async () => {
    expect((await test.api('PUT', `/groups/${supportGroup}/members`, { userIds: [] })).status).toBe(200)
    try {
      expect((await portalRpc(member, 'tickets')).json.error.code).toBe('PORTAL_GROUP_REQUIRED')
      expect((await call(member, '/api/v1/me/ui/extensions')).json.items[0].pages).toHaveLength(1)
    } finally {
      expect((await test.api('PUT', `/groups/${supportGroup}/members`, { userIds: [memberId] })).status).toBe(200)
    }
    expect((await portalRpc(member, 'tickets')).status).toBe(200)
  })

  it('refuses a method no portal page declares with 403 RPC_METHOD_NOT_DECLARED, an admin RPC method included', async () => {
    const before = await calls()
    for (const method of ['drop', 'adminOnly', 'calls']) {
      expect(await portalRpc(member, method), method).toMatchObject({ status: 403, json: { error: { code: 'RPC_METHOD_NOT_DECLARED', message: expect.stringContaining(`"${method}"`) } } })
    }
    expect(await calls()).toEqual(before)
  })

  it('answers PLUGIN_RPC_FAILED with the code of what the plugin threw', async () => {
    expect(await portalRpc(member, 'fail')).toMatchObject({ status: 502, json: { error: { code: 'PLUGIN_RPC_FAILED', message: expect.stringContaining('[FIXTURE_FAILED] failed on purpose') } } })
  })

  it('refuses a body over 256 KiB with 413 BODY_TOO_LARGE, a write without the CSRF header, no session, and a plugin not installed', async () => {
    const big = await portalRpc(member, 'whoami', { text: 'x'.repeat(300 * 1024) })
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'BODY_TOO_LARGE' } } })
    expect((await portalRpc({ cookie: member.cookie }, 'whoami')).json.error.code).toBe('CSRF_TOKEN_INVALID')
    expect((await portalRpc({}, 'whoami')).json.error.code).toBe('UNAUTHENTICATED')
    expect(await portalRpc(member, 'whoami', {}, 'nobody')).toMatchObject({ status: 404, json: { error: { code: 'NOT_FOUND' } } })
    expect((await portalRpc(member, 'bad%20method')).json.error.code).toBe('VALIDATION_FAILED')
  })

  it('answers 503 PLUGIN_NOT_RUNNING while the plugin is disabled, whose pages leave the portal', async () => {
    expect((await test.api('POST', '/plugins/portal-fixture/disable')).status).toBe(200)
    try {
      expect(await portalRpc(member, 'whoami')).toMatchObject({ status: 503, json: { error: { code: 'PLUGIN_NOT_RUNNING', message: expect.stringContaining('disabled') } } })
      expect((await call(member, '/api/v1/me/ui/extensions')).json.items).toEqual([])
    } finally {
      expect((await test.api('POST', '/plugins/portal-fixture/enable')).status).toBe(200)
    }
    expect((await portalRpc(member, 'whoami')).status).toBe(200)
  })
})

describe('admin RPC and assets for portal users', () => {
  it('refuses admin RPC to a portal user with 403 FORBIDDEN, even for a method the portal pages declare', async () => {
    for (const method of ['calls', 'whoami']) {
      expect((await call(member, `/api/v1/plugins/portal-fixture/rpc/${method}`, { method: 'POST', body: '{}' })).json.error.code).toBe('FORBIDDEN')
    }
    expect((await call(admin, '/api/v1/plugins/portal-fixture/rpc/calls', { method: 'POST', body: '{}' })).status).toBe(200)
  })

  it('serves the assets to a user who sees a portal page of the plugin, behind a session', async () => {
    const asset = await call({ cookie: outsider.cookie }, '/plugins/portal-fixture/ui/page.js')
    expect(asset).toEqual({ status: 200, json: 'export const page = 1\n' })
    expect((await call({}, '/plugins/portal-fixture/ui/page.js')).status).toBe(401)
  })
})
