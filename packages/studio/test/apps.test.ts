import { setTimeout as sleep } from 'node:timers/promises'
import { hashApiKey } from '@plugboard/gateway'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startStudio, type TestStudio } from './helpers.js'

describe.each(DATABASES)('apps on %s', (kind) => {
  let s: TestStudio
  let ownerId: string
  let llmIds: Record<string, string>
  beforeAll(async () => {
    s = await startStudio(kind)
    ownerId = (await s.api('POST', '/api/v1/users', { email: 'owner@example.com', role: 'portal' })).json.id
    llmIds = {}
    for (const slug of ['mock-a', 'mock-b']) llmIds[slug] = (await s.api('POST', '/api/v1/llms', { slug, vendor: 'mock', models: ['m'] })).json.id
  })
  afterAll(() => s?.close())

  const db = () => s.studio.database.db
  const newApp = async (slug: string) => (await s.api('POST', '/api/v1/apps', { slug })).json as { id: string; slug: string }

  it('creates an app with an owner, allowed LLMs (by slug or id, presented as slugs) and metadata; updates with If-Match; deletes', async () => {
    const created = await s.api('POST', '/api/v1/apps', { slug: 'chatbot', ownerId, allowedLlms: ['mock-b', llmIds['mock-a']], metadata: { team: 'search', limits: { rpm: 10 } } })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ slug: 'chatbot', name: 'chatbot', ownerId, allowedLlms: ['mock-a', 'mock-b'], metadata: { team: 'search', limits: { rpm: 10 } }, enabled: true, version: 1 })
    const id = created.json.id
    expect((await s.api('GET', '/api/v1/apps/chatbot')).json.id).toBe(id)

    expect((await s.api('PATCH', `/api/v1/apps/${id}`, { enabled: false }, { 'if-match': '"4"' })).status).toBe(412)
    const updated = await s.api('PATCH', `/api/v1/apps/${id}`, { allowedLlms: ['mock-b'], ownerId: null, name: 'Chat bot' }, { 'if-match': '"1"' })
    expect(updated.status).toBe(200)
    expect(updated.json).toMatchObject({ name: 'Chat bot', allowedLlms: ['mock-b'], ownerId: null, version: 2 })

    await s.api('POST', '/api/v1/apps', { slug: 'second', allowedLlms: ['mock-a', 'mock-b'] })
    const listed = await s.api('GET', '/api/v1/apps?sort=-slug')
    expect(listed.json.items.map((a: { slug: string; allowedLlms: string[] }) => [a.slug, a.allowedLlms])).toEqual([
      ['second', ['mock-a', 'mock-b']],
      ['chatbot', ['mock-b']],
    ])

    expect((await s.api('DELETE', `/api/v1/apps/${id}`, undefined, { 'if-match': '"2"' })).status).toBe(204)
    expect((await s.api('GET', `/api/v1/apps/${id}`)).status).toBe(404)
    expect(await db().selectFrom('app_llms').selectAll().where('app_id', '=', id).execute()).toEqual([])
  })

  it('refuses bad bodies (422 with paths), a taken slug (409), an unknown owner or LLM (422 REFERENCE_NOT_FOUND) and "*"', async () => {
    const bad = await s.api('POST', '/api/v1/apps', { slug: 'Not A Slug', allowedLlms: 'mock-a', metadata: [], enabled: 'yes', extra: 1 })
    expect(bad.status).toBe(422)
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/slug', '/allowedLlms', '/metadata', '/enabled', '/extra']))

    // A slug in the form of a UUID could be found in place of the object with that id.
    const other = await newApp('uuid-target')
    const asUuid = await s.api('POST', '/api/v1/apps', { slug: other.id })
    expect([asUuid.status, asUuid.json.error.details.map((d: { path: string }) => d.path)]).toEqual([422, ['/slug']])
    expect((await s.api('POST', '/api/v1/apps', { slug: '0123abcd-0000-4000-8000' })).status).toBe(201)

    const manyKeys = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]))
    expect((await s.api('POST', '/api/v1/apps', { slug: 'many', metadata: manyKeys })).json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/metadata' }] })
    expect((await s.api('POST', '/api/v1/apps', { slug: 'long-key', metadata: { ['k'.repeat(129)]: 1 } })).json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: expect.arrayContaining([expect.objectContaining({ path: '/metadata' })]) })
    const tooBig = await s.api('POST', '/api/v1/apps', { slug: 'big', metadata: { blob: 'x'.repeat(16 * 1024) } })
    expect(tooBig.status).toBe(422)
    expect(tooBig.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/metadata' }] })

    const unknownOwner = await s.api('POST', '/api/v1/apps', { slug: 'orphan', ownerId: 'ghost' })
    expect(unknownOwner.status).toBe(422)
    expect(unknownOwner.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/ownerId' }] })
    const unknownLlm = await s.api('POST', '/api/v1/apps', { slug: 'orphan', allowedLlms: ['mock-a', 'nope'] })
    expect(unknownLlm.status).toBe(422)
    expect(unknownLlm.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/allowedLlms/1' }] })
    const star = await s.api('POST', '/api/v1/apps', { slug: 'orphan', allowedLlms: ['*'] })
    expect(star.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/allowedLlms/0', message: expect.stringContaining('not supported') }] })
    expect((await s.api('GET', '/api/v1/apps/orphan')).status).toBe(404)

    const app = await newApp('taken')
    const dup = await s.api('POST', '/api/v1/apps', { slug: 'taken' })
    expect(dup.status).toBe(409)
    expect(dup.json.error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: '/slug' }] })
    expect((await s.api('PATCH', `/api/v1/apps/${app.id}`, { ownerId: 'ghost' })).json.error.code).toBe('REFERENCE_NOT_FOUND')
    expect((await s.api('PATCH', '/api/v1/apps/no-such-app', { enabled: false })).status).toBe(404)
  })

  it('issues a key shown once and stored as the gateway hashes it; lists keys without the secret', async () => {
    const app = await newApp('keyed')
    const issued = await s.api('POST', `/api/v1/apps/${app.id}/keys`, {})
    expect(issued.status).toBe(201)
    const key = issued.json.key as string
    expect(key).toMatch(/^pb-[\w-]{43}$/)
    expect(issued.json).toMatchObject({ hint: `…${key.slice(-4)}`, status: 'active', expiresAt: null, revokedAt: null })
    const row = await db().selectFrom('app_keys').selectAll().where('id', '=', issued.json.id).executeTakeFirstOrThrow()
    expect(row.key_hash).toBe(hashApiKey(key))

    const bodiless = await s.api('POST', '/api/v1/apps/keyed/keys')
    expect(bodiless.status).toBe(201)
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString()
    const expiring = await s.api('POST', '/api/v1/apps/keyed/keys', { expiresAt })
    expect(expiring.json).toMatchObject({ expiresAt, status: 'active' })

    const listed = await s.api('GET', `/api/v1/apps/${app.id}/keys`)
    expect(listed.json.items.map((k: { id: string }) => k.id)).toEqual([expiring.json.id, bodiless.json.id, issued.json.id])
    expect(JSON.stringify(listed.json)).not.toContain(key)
    expect(listed.json.items[0]).not.toHaveProperty('key')

    const past = await s.api('POST', `/api/v1/apps/${app.id}/keys`, { expiresAt: '2001-01-01T00:00:00Z' })
    expect(past.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/expiresAt' }] })
    expect((await s.api('POST', `/api/v1/apps/${app.id}/keys`, { expiresAt: 'tomorrow' })).status).toBe(422)
    expect((await s.api('POST', '/api/v1/apps/nope/keys', {})).status).toBe(404)
    expect((await s.api('GET', '/api/v1/apps/nope/keys')).status).toBe(404)
  })

  it('rotates with a grace period: the old key stays active until it expires, then is listed as expired', async () => {
    const app = await newApp('rotating')
    const old = (await s.api('POST', `/api/v1/apps/${app.id}/keys`, {})).json
    const rotated = await s.api('POST', `/api/v1/apps/${app.id}/keys/${old.id}/rotate`, { gracePeriodSeconds: 1 })
    expect(rotated.status).toBe(201)
    expect(rotated.json.key).toMatch(/^pb-/)
    expect(rotated.json.key).not.toBe(old.key)
    expect(rotated.json.previous).toMatchObject({ id: old.id, status: 'active', revokedAt: null })
    const statusOf = async (id: string) => ((await s.api('GET', `/api/v1/apps/${app.id}/keys`)).json.items as { id: string; status: string }[]).find((k) => k.id === id)!.status
    expect(await statusOf(old.id)).toBe('active')
    await sleep(Date.parse(rotated.json.previous.expiresAt) - Date.now() + 50)
    expect(await statusOf(old.id)).toBe('expired')
    expect(await statusOf(rotated.json.id)).toBe('active')

    const expired = await s.api('POST', `/api/v1/apps/${app.id}/keys/${old.id}/rotate`, {})
    expect(expired.status).toBe(409)
    expect(expired.json.error.code).toBe('APP_KEY_INACTIVE')

    const now = await s.api('POST', `/api/v1/apps/${app.id}/keys/${rotated.json.id}/rotate`, {})
    expect(now.json.previous).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) })
    const tooLong = await s.api('POST', `/api/v1/apps/${app.id}/keys/${now.json.id}/rotate`, { gracePeriodSeconds: 31 * 86_400 })
    expect(tooLong.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '/gracePeriodSeconds' }] })
    expect((await s.api('POST', `/api/v1/apps/${app.id}/keys/no-key/rotate`)).status).toBe(404)
  })

  it('revokes idempotently, only keys of that app, and audits every key write without the secret', async () => {
    const app = await newApp('revoking')
    const other = await newApp('other')
    const issued = (await s.api('POST', `/api/v1/apps/${app.id}/keys`, {})).json
    expect((await s.api('DELETE', `/api/v1/apps/${other.id}/keys/${issued.id}`)).status).toBe(404)
    expect((await s.api('DELETE', `/api/v1/apps/${app.id}/keys/${issued.id}`)).status).toBe(204)
    const first = await db().selectFrom('app_keys').select('revoked_at').where('id', '=', issued.id).executeTakeFirstOrThrow()
    expect((await s.api('DELETE', `/api/v1/apps/${app.id}/keys/${issued.id}`)).status).toBe(204)
    const second = await db().selectFrom('app_keys').select('revoked_at').where('id', '=', issued.id).executeTakeFirstOrThrow()
    expect(second.revoked_at).toEqual(first.revoked_at)
    expect((await s.api('GET', `/api/v1/apps/${app.id}/keys`)).json.items[0]).toMatchObject({ id: issued.id, status: 'revoked' })
    expect((await s.api('DELETE', `/api/v1/apps/${app.id}/keys/no-key`)).status).toBe(404)

    const fresh = (await s.api('POST', `/api/v1/apps/${app.id}/keys`, {})).json
    const rotated = (await s.api('POST', `/api/v1/apps/${app.id}/keys/${fresh.id}/rotate`, { gracePeriodSeconds: 60 })).json
    const audit = await db().selectFrom('audit_log').selectAll().where('object_type', '=', 'app_key').where('object_id', 'in', [issued.id, fresh.id]).orderBy('id').execute()
    expect(audit.map((a) => a.action)).toEqual(['issue_key', 'revoke_key', 'revoke_key', 'issue_key', 'rotate_key'])
    const text = JSON.stringify(audit)
    for (const secret of [issued.key, fresh.key, rotated.key]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(hashApiKey(secret))
    }
    expect(audit.at(-1)!.after).toMatchObject({ id: fresh.id, replacedBy: { id: rotated.id } })
  })
})
