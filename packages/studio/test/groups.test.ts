import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'
import { signIn } from './sign-in.js'

const PASSWORD = 'portal password 1234'

describe.each(DATABASES)('groups on %s', (kind) => {
  let s: TestStudio
  let llms: Record<string, string>
  beforeAll(async () => {
    s = await startStudio(kind)
    llms = {}
    for (const slug of ['alpha', 'beta', 'gamma', 'off']) {
      llms[slug] = (await s.api('POST', '/api/v1/llms', { slug, vendor: 'mock', models: ['m'], enabled: slug !== 'off' })).json.id
    }
  })
  afterAll(() => s?.close())

  const newUser = async (email: string, password?: string) => (await s.api('POST', '/api/v1/users', { email, role: 'portal', ...(password && { password }) })).json.id as string

  it('creates, renames with If-Match, lists and deletes a group', async () => {
    const created = await s.api('POST', '/api/v1/groups', { name: 'Research', description: 'the lab' })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ name: 'Research', description: 'the lab', members: [], grants: { llms: [], tools: [], datasources: [] }, version: 1 })
    const id = created.json.id
    expect((await s.api('PATCH', `/api/v1/groups/${id}`, { name: 'R&D' }, { 'if-match': '"5"' })).status).toBe(412)
    expect((await s.api('PATCH', `/api/v1/groups/${id}`, { name: 'R&D' }, { 'if-match': '"1"' })).json).toMatchObject({ name: 'R&D', version: 2 })
    expect((await s.api('GET', '/api/v1/groups?q=r%26d')).json.items.map((g: { id: string }) => g.id)).toEqual([id])
    expect((await s.api('DELETE', `/api/v1/groups/${id}`)).status).toBe(204)
    expect((await s.api('GET', `/api/v1/groups/${id}`)).status).toBe(404)
  })

  it('replaces members and grants, presents them on the group, and audits each write', async () => {
    const group = (await s.api('POST', '/api/v1/groups', { name: 'Team' })).json
    const ann = await newUser('ann@example.com')
    const bob = await newUser('bob@example.com')
    const members = await s.api('PUT', `/api/v1/groups/${group.id}/members`, { userIds: [bob, ann] }, { 'if-match': '"1"' })
    expect(members.status).toBe(200)
    expect(members.headers.etag).toBe('"2"')
    expect(members.json.members).toEqual([
      { id: ann, email: 'ann@example.com', name: 'ann' },
      { id: bob, email: 'bob@example.com', name: 'bob' },
    ])
    expect((await s.api('PUT', `/api/v1/groups/${group.id}/members`, { userIds: [ann] })).json.members.map((m: { id: string }) => m.id)).toEqual([ann])

    const grants = await s.api('PUT', `/api/v1/groups/${group.id}/grants`, { llms: ['beta', llms.alpha] })
    expect(grants.status).toBe(200)
    expect(grants.json.grants).toEqual({ llms: ['alpha', 'beta'], tools: [], datasources: [] })
    expect((await s.api('GET', `/api/v1/groups/${group.id}`)).json).toMatchObject({ version: 4, grants: { llms: ['alpha', 'beta'] }, members: [{ id: ann }] })

    const audit = await s.studio.database.db.selectFrom('audit_log').select(['action', 'before', 'after']).where('object_id', '=', group.id).orderBy('id').execute()
    expect(audit.map((a) => a.action)).toEqual(['create', 'set_members', 'set_members', 'set_grants'])
    expect(audit[3]!.after).toMatchObject({ grants: { llms: ['alpha', 'beta'] } })
  })

  it('refuses unknown users, LLMs, tools and datasources with 422 REFERENCE_NOT_FOUND and changes nothing', async () => {
    const group = (await s.api('POST', '/api/v1/groups', { name: 'Strict' })).json
    const ann = await newUser('ann-strict@example.com')
    const unknownUser = await s.api('PUT', `/api/v1/groups/${group.id}/members`, { userIds: [ann, 'ghost'] })
    expect(unknownUser.status).toBe(422)
    expect(unknownUser.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/userIds/1' }] })

    const unknownGrants = await s.api('PUT', `/api/v1/groups/${group.id}/grants`, { llms: ['alpha', 'nope'], tools: [randomUUID()], datasources: ['docs'] })
    expect(unknownGrants.status).toBe(422)
    expect(unknownGrants.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/llms/1' }] })
    const unknownTool = await s.api('PUT', `/api/v1/groups/${group.id}/grants`, { llms: ['alpha'], tools: ['no-tool'] })
    expect(unknownTool.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/tools/0' }] })
    const unknownDatasource = await s.api('PUT', `/api/v1/groups/${group.id}/grants`, { datasources: ['no-ds'] })
    expect(unknownDatasource.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/datasources/0' }] })

    expect((await s.api('GET', `/api/v1/groups/${group.id}`)).json).toMatchObject({ version: 1, members: [], grants: { llms: [] } })
    expect((await s.api('PUT', '/api/v1/groups/nope/members', { userIds: [] })).status).toBe(404)
    expect((await s.api('PUT', `/api/v1/groups/${group.id}/members`, { userIds: [ann] }, { 'if-match': '"7"' })).status).toBe(412)
  })

  it('creates a group with its members and grants in one write, or refuses the whole of it', async () => {
    const cy = await newUser('cy@example.com')
    const created = await s.api('POST', '/api/v1/groups', { name: 'At once', userIds: [cy], grants: { llms: ['beta'] } })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ name: 'At once', version: 1, members: [{ id: cy }], grants: { llms: ['beta'], tools: [], datasources: [] } })
    const audit = await s.studio.database.db.selectFrom('audit_log').select(['action', 'after']).where('object_id', '=', created.json.id).execute()
    expect(audit).toMatchObject([{ action: 'create', after: { members: [{ id: cy }], grants: { llms: ['beta'] } } }])

    const unknownLlm = await s.api('POST', '/api/v1/groups', { name: 'Half made', userIds: [cy], grants: { llms: ['alpha', 'nope'] } })
    expect(unknownLlm.status).toBe(422)
    expect(unknownLlm.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/grants/llms/1' }] })
    const unknownUser = await s.api('POST', '/api/v1/groups', { name: 'Half made', userIds: ['ghost'] })
    expect(unknownUser.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/userIds/0' }] })
    expect((await s.api('GET', '/api/v1/groups?q=half')).json.items).toEqual([])
    expect((await s.api('POST', '/api/v1/groups', { name: 'Bad', grants: { models: [] } })).json.error.details[0].path).toBe('/grants/models')
  })

  it('answers 422 with field paths on bad bodies and 409 on a taken name', async () => {
    const bad = await s.api('POST', '/api/v1/groups', { name: '', extra: 1 })
    expect(bad.status).toBe(422)
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/name', '/extra']))
    const group = (await s.api('POST', '/api/v1/groups', { name: 'Unique' })).json
    const dup = await s.api('POST', '/api/v1/groups', { name: 'Unique' })
    expect(dup.status).toBe(409)
    expect(dup.json.error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: '/name' }] })
    const badMembers = await s.api('PUT', `/api/v1/groups/${group.id}/members`, { userIds: 'ann' })
    expect(badMembers.status).toBe(422)
    expect(badMembers.json.error.details[0].path).toBe('/userIds')
    const badGrants = await s.api('PUT', `/api/v1/groups/${group.id}/grants`, { llms: ['a', 'a'], models: [] })
    expect(badGrants.status).toBe(422)
    expect(badGrants.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/llms', '/models']))
  })

  it("lists on /me/llms only the enabled LLMs of the portal user's groups; every enabled one for an admin", async () => {
    const carol = await newUser('carol@example.com', PASSWORD)
    await newUser('dave@example.com', PASSWORD)
    const one = (await s.api('POST', '/api/v1/groups', { name: 'One' })).json
    const two = (await s.api('POST', '/api/v1/groups', { name: 'Two' })).json
    const other = (await s.api('POST', '/api/v1/groups', { name: 'Other' })).json
    await s.api('PUT', `/api/v1/groups/${one.id}/members`, { userIds: [carol] })
    await s.api('PUT', `/api/v1/groups/${two.id}/members`, { userIds: [carol] })
    await s.api('PUT', `/api/v1/groups/${one.id}/grants`, { llms: ['alpha', 'off'] })
    await s.api('PUT', `/api/v1/groups/${two.id}/grants`, { llms: ['alpha'] })
    await s.api('PUT', `/api/v1/groups/${other.id}/grants`, { llms: ['gamma'] })

    const carolSees = await (await signIn(s, 'carol@example.com', PASSWORD)).api('GET', '/api/v1/me/llms')
    expect(carolSees.status).toBe(200)
    expect(carolSees.json.items.map((l: { slug: string }) => l.slug)).toEqual(['alpha'])
    expect(JSON.stringify(carolSees.json)).not.toContain('api_key')
    expect((await (await signIn(s, 'dave@example.com', PASSWORD)).api('GET', '/api/v1/me/llms')).json.items).toEqual([])

    const adminSees = await s.api('GET', '/api/v1/me/llms')
    expect(adminSees.json.items.map((l: { slug: string }) => l.slug)).toEqual(['alpha', 'beta', 'gamma'])
    expect((await s.api('GET', '/api/v1/me/llms?limit=2')).json.nextCursor).toEqual(expect.any(String))
  })
})
