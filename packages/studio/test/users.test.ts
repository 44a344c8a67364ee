import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, DATABASES, startStudio, type TestStudio } from './helpers.js'
import { signIn } from './sign-in.js'

const PASSWORD = 'portal password 1234'

describe.each(DATABASES)('users on %s', (kind) => {
  let s: TestStudio
  beforeAll(async () => {
    s = await startStudio(kind)
  })
  afterAll(() => s?.close())

  const auditOf = (id: string) => s.studio.database.db.selectFrom('audit_log').selectAll().where('object_type', '=', 'user').where('object_id', '=', id).orderBy('id').execute()

  it('refuses to delete a user who owns apps (the app would lose the limits of its owner\'s groups), then deletes them once the apps are given away', async () => {
    const owner = await s.api('POST', '/api/v1/users', { email: 'owner@example.com', role: 'portal', password: PASSWORD })
    const app = await s.api('POST', '/api/v1/apps', { slug: 'owned-app', ownerId: owner.json.id })
    expect(app.status).toBe(201)

    const refused = await s.api('DELETE', `/api/v1/users/${owner.json.id}`)
    expect(refused.status).toBe(409)
    expect(refused.json.error).toMatchObject({ code: 'IN_USE', message: expect.stringContaining('owned-app') })
    expect((await s.api('GET', `/api/v1/apps/${app.json.id}`)).json.ownerId).toBe(owner.json.id)

    expect((await s.api('PATCH', `/api/v1/apps/${app.json.id}`, { ownerId: null })).status).toBe(200)
    expect((await s.api('DELETE', `/api/v1/users/${owner.json.id}`)).status).toBe(204)
  })

  it('creates a user with a normalised email, never returns or audits the password, updates with If-Match and deletes', async () => {
    const created = await s.api('POST', '/api/v1/users', { email: '  Ada@Example.COM ', name: 'Ada', role: 'portal', password: PASSWORD })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ email: 'ada@example.com', name: 'Ada', role: 'portal', disabled: false, hasPassword: true, version: 1 })
    expect(JSON.stringify(created.json)).not.toContain('password_hash')
    expect(JSON.stringify(created.json)).not.toContain('scrypt')
    const id = created.json.id

    expect((await s.api('GET', `/api/v1/users/${id}`)).json).toEqual(created.json)
    const stale = await s.api('PATCH', `/api/v1/users/${id}`, { name: 'Ada L.' }, { 'if-match': '"9"' })
    expect(stale.status).toBe(412)
    expect(stale.json.error.code).toBe('VERSION_MISMATCH')
    const newPassword = 'another long password'
    const updated = await s.api('PATCH', `/api/v1/users/${id}`, { name: 'Ada L.', password: newPassword }, { 'if-match': '"1"' })
    expect(updated.status).toBe(200)
    expect(updated.json).toMatchObject({ name: 'Ada L.', version: 2, hasPassword: true })
    const noPassword = await s.api('PATCH', `/api/v1/users/${id}`, { password: null })
    expect(noPassword.json.hasPassword).toBe(false)

    const listed = await s.api('GET', '/api/v1/users?role=portal&q=ada')
    expect(listed.json.items.map((u: { email: string }) => u.email)).toEqual(['ada@example.com'])
    expect((await s.api('DELETE', `/api/v1/users/${id}`, undefined, { 'if-match': '"3"' })).status).toBe(204)
    expect((await s.api('GET', `/api/v1/users/${id}`)).status).toBe(404)

    const audit = await auditOf(id)
    expect(audit.map((a) => a.action)).toEqual(['create', 'update', 'update', 'delete'])
    const text = JSON.stringify(audit)
    for (const secret of [PASSWORD, newPassword, 'scrypt$']) expect(text).not.toContain(secret)
  })

  it('filters and sorts the list', async () => {
    for (const [email, role] of [['zed@example.com', 'portal'], ['bea@example.com', 'admin'], ['cy@example.com', 'portal']] as const) {
      expect((await s.api('POST', '/api/v1/users', { email, role })).status).toBe(201)
    }
    const bea = (await s.api('GET', '/api/v1/users?q=bea')).json.items[0]
    await s.api('PATCH', `/api/v1/users/${bea.id}`, { disabled: true })
    expect((await s.api('GET', '/api/v1/users?disabled=true')).json.items.map((u: { email: string }) => u.email)).toEqual(['bea@example.com'])
    expect((await s.api('GET', '/api/v1/users?role=portal&sort=-email')).json.items.map((u: { email: string }) => u.email)).toEqual(['zed@example.com', 'cy@example.com'])
    expect((await s.api('GET', '/api/v1/users?sort=password')).status).toBe(422)
  })

  it('answers 422 with field paths on a bad body, 409 on a taken email, 404 on an unknown id', async () => {
    const bad = await s.api('POST', '/api/v1/users', { email: 'not an email', role: 'root', password: 'short', extra: true })
    expect(bad.status).toBe(422)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/email', '/role', '/password', '/extra']))
    expect((await s.api('PATCH', '/api/v1/users/x', {})).status).toBe(422)

    expect((await s.api('POST', '/api/v1/users', { email: 'dup@example.com', role: 'portal' })).status).toBe(201)
    const dup = await s.api('POST', '/api/v1/users', { email: 'DUP@example.com ', role: 'admin' })
    expect(dup.status).toBe(409)
    expect(dup.json.error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: '/email' }] })

    for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
      const missing = await s.api(method, '/api/v1/users/no-such-user', body)
      expect(missing.status).toBe(404)
      expect(missing.json.error.code).toBe('NOT_FOUND')
    }
  })

  it('refuses to delete, demote or disable the last enabled admin', async () => {
    const admins = (await s.api('GET', '/api/v1/users?role=admin&disabled=false')).json.items as { id: string; email: string }[]
    // Leave only the first admin enabled.
    for (const other of admins.filter((a) => a.email !== ADMIN.email)) await s.api('PATCH', `/api/v1/users/${other.id}`, { role: 'portal' })
    const first = admins.find((a) => a.email === ADMIN.email)!
    for (const [method, body] of [['PATCH', { role: 'portal' }], ['PATCH', { disabled: true }], ['DELETE', undefined]] as const) {
      const refused = await s.api(method, `/api/v1/users/${first.id}`, body)
      expect(refused.status).toBe(409)
      expect(refused.json.error.code).toBe('LAST_ADMIN')
    }
    expect((await s.api('GET', `/api/v1/users/${first.id}`)).json).toMatchObject({ role: 'admin', disabled: false })

    const second = await s.api('POST', '/api/v1/users', { email: 'second-admin@example.com', role: 'admin' })
    const demoted = await s.api('PATCH', `/api/v1/users/${second.json.id}`, { role: 'portal' })
    expect(demoted.status).toBe(200)
  })

  it('gives a portal user 403 on admin routes; disabling them or changing their password ends their session at once', async () => {
    const user = (await s.api('POST', '/api/v1/users', { email: 'portal@example.com', role: 'portal', password: PASSWORD })).json
    const portal = await signIn(s, 'portal@example.com', PASSWORD)
    expect((await portal.api('GET', '/api/v1/me')).json).toMatchObject({ email: 'portal@example.com', role: 'portal' })
    for (const [method, url, body] of [
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { email: 'x@example.com', role: 'admin' }],
      ['PATCH', `/api/v1/users/${user.id}`, { role: 'admin' }],
      ['GET', '/api/v1/groups'],
      ['GET', '/api/v1/apps'],
      ['GET', '/api/v1/model-prices'],
    ] as const) {
      const refused = await portal.api(method, url, body)
      expect(refused.status, `${method} ${url}`).toBe(403)
      expect(refused.json.error.code).toBe('FORBIDDEN')
    }

    expect((await s.api('PATCH', `/api/v1/users/${user.id}`, { disabled: true })).status).toBe(200)
    const after = await portal.api('GET', '/api/v1/me')
    expect(after.status).toBe(401)
    await s.api('PATCH', `/api/v1/users/${user.id}`, { disabled: false })
    expect((await portal.api('GET', '/api/v1/me')).status).toBe(401)
    expect(await s.studio.database.db.selectFrom('sessions').select('id_hash').where('user_id', '=', user.id).execute()).toEqual([])

    const again = await signIn(s, 'portal@example.com', PASSWORD)
    expect((await again.api('GET', '/api/v1/me')).status).toBe(200)
    await s.api('PATCH', `/api/v1/users/${user.id}`, { password: 'a brand new password' })
    expect((await again.api('GET', '/api/v1/me')).status).toBe(401)

    const promoted = await signIn(s, 'portal@example.com', 'a brand new password')
    expect((await promoted.api('GET', '/api/v1/users')).status).toBe(403)
    await s.api('PATCH', `/api/v1/users/${user.id}`, { role: 'admin' })
    expect((await promoted.api('GET', '/api/v1/users')).status).toBe(200)
  })
})
