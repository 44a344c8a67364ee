import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { PluginHost, type FailurePolicy, type ManagedPlugin } from '@plugboard/host'
import { MemoryKvStore } from '@plugboard/proto'
import type { HookedObjectType, ObjectHookBinding, ObjectHookEventName, PluginDirectory } from '../src/plugins/plugin-runtime.js'
import { startStudio, type TestStudio } from './helpers.js'

const FIXTURE = new URL('./fixtures/object-hooks-plugin/main.mjs', import.meta.url).href

/** The bindings a test sets: each plugin on every object type and event, with its priority, policy and deadline. */
interface TestBinding {
  managed: ManagedPlugin
  priority?: number
  failurePolicy?: FailurePolicy
  deadlineMs?: number
  /** Only these object types (default: all). */
  types?: HookedObjectType[]
}

/** The smallest PluginDirectory over real plugin processes: what StudioPlugins answers, minus grants (the test grants what it binds). */
class TestDirectory implements PluginDirectory {
  bindings: TestBinding[] = []

  objectHookBindings(type: HookedObjectType, _event: ObjectHookEventName): ObjectHookBinding[] {
    return this.bindings
      .filter((b) => !b.types || b.types.includes(type))
      .map((b) => ({ plugin: b.managed.name, managed: b.managed, priority: b.priority ?? 0, failurePolicy: b.failurePolicy ?? 'fail-closed', deadlineMs: b.deadlineMs ?? 2000 }))
  }
  scheduledPlugins() {
    return []
  }
  studioHalf(name: string) {
    return this.bindings.find((b) => b.managed.name === name)?.managed
  }
  manifestOf() {
    return undefined
  }
}

describe('object hooks on Studio writes (real plugin processes)', () => {
  let s: TestStudio
  let host: PluginHost
  const kv = new MemoryKvStore()
  const directory = new TestDirectory()
  let first: ManagedPlugin
  let second: ManagedPlugin

  /** What plugin `name` recorded for one call (the object it saw), or undefined. */
  async function seen(name: string, type: string, event: string, slug: string): Promise<{ object: any; previous?: any; actor: any; at: number } | undefined> {
    const value = await kv.get(name, `seen:${type}:${event}:${slug}`)
    return value && JSON.parse(value.toString())
  }
  const only = (...bindings: TestBinding[]) => (directory.bindings = bindings)

  beforeAll(async () => {
    s = await startStudio('pglite')
    s.studio.context.plugins = directory
    host = new PluginHost({ runtime: 'studio', logger: pino({ level: 'silent' }), kv })
    ;[first, second] = await Promise.all([
      host.load({ name: 'hooks-a', source: FIXTURE, scopes: ['kv.readwrite'], config: { suffix: '-a' } }),
      host.load({ name: 'hooks-b', source: FIXTURE, scopes: ['kv.readwrite'], config: { suffix: '-b' } }),
    ])
  })
  afterAll(async () => {
    await host?.shutdown()
    await s?.close()
  })

  it('a before-hook that rejects refuses the write with 422 naming the plugin; nothing is written', async () => {
    only({ managed: first })
    const refused = await s.api('POST', '/api/v1/llms', { slug: 'reject-me', vendor: 'mock', models: ['m'] })
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'OBJECT_HOOK_REJECTED', plugin: 'hooks-a', message: 'plugin "hooks-a" rejected this LLM: llm reject-me is not allowed here' })
    expect((await s.api('GET', '/api/v1/llms/reject-me')).status).toBe(404)
  })

  it('a modification is stored, and checked again against the schema (422 with its paths when it does not fit)', async () => {
    only({ managed: first })
    const created = await s.api('POST', '/api/v1/llms', { slug: 'modify-me', vendor: 'mock', models: ['m'] })
    expect(created.status).toBe(201)
    expect(created.json.description).toBe('filled by the hook')
    expect((await s.api('GET', '/api/v1/llms/modify-me')).json.description).toBe('filled by the hook')

    const invalid = await s.api('POST', '/api/v1/llms', { slug: 'invalid-me', vendor: 'mock', models: ['m'] })
    expect(invalid.status).toBe(422)
    expect(invalid.json.error).toMatchObject({ code: 'OBJECT_HOOK_INVALID_RESULT', plugin: 'hooks-a' })
    expect(invalid.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['/models', '/extra']))
    expect((await s.api('GET', '/api/v1/llms/invalid-me')).status).toBe(404)
  })

  it('an update hook sees the patch and the current object; a delete hook sees the object and may refuse', async () => {
    only()
    const llm = (await s.api('POST', '/api/v1/llms', { slug: 'reject-later', vendor: 'mock', models: ['m'] })).json
    only({ managed: first })
    const updated = await s.api('PATCH', `/api/v1/llms/${llm.id}`, { name: 'Renamed' })
    // The fixture picks by the current slug: a reject-* LLM's update is refused too.
    expect(updated.status).toBe(422)
    const saw = await seen('hooks-a', 'llm', 'before_update', 'reject-later')
    expect(saw).toMatchObject({ object: { name: 'Renamed' }, previous: { id: llm.id, slug: 'reject-later', version: 1 } })

    const removed = await s.api('DELETE', `/api/v1/llms/${llm.id}`)
    expect(removed.status).toBe(422)
    expect(removed.json.error).toMatchObject({ code: 'OBJECT_HOOK_REJECTED', plugin: 'hooks-a' })
    expect((await seen('hooks-a', 'llm', 'before_delete', 'reject-later'))?.object).toMatchObject({ id: llm.id, slug: 'reject-later' })
    expect((await s.api('GET', `/api/v1/llms/${llm.id}`)).status).toBe(200)
  })

  it('an update its hooks approved fails with 412 when the object changed while they ran', async () => {
    only()
    const llm = (await s.api('POST', '/api/v1/llms', { slug: 'slow-update', vendor: 'mock', models: ['m'] })).json
    only({ managed: first })
    // The hook takes 500 ms; another write lands meanwhile.
    const patching = s.api('PATCH', `/api/v1/llms/${llm.id}`, { name: 'From the slow write' })
    await new Promise((resolve) => setTimeout(resolve, 150))
    await s.studio.database.db.updateTable('llms').set((eb) => ({ version: eb('version', '+', 1), name: 'Meanwhile' })).where('id', '=', llm.id).execute()
    const patched = await patching
    expect(patched.status).toBe(412)
    expect(patched.json.error.code).toBe('VERSION_MISMATCH')
    expect((await s.api('GET', `/api/v1/llms/${llm.id}`)).json.name).toBe('Meanwhile')
  })

  it('runs plugins in priority order, lower first, each seeing the previous one’s modification', async () => {
    // Listed in the wrong order on purpose: priority decides.
    only({ managed: second, priority: 20 }, { managed: first, priority: 10 })
    const created = await s.api('POST', '/api/v1/llms', { slug: 'order-1', vendor: 'mock', models: ['m'], description: 'x' })
    expect(created.status).toBe(201)
    expect(created.json.description).toBe('x-a-b')
    expect((await seen('hooks-b', 'llm', 'before_create', 'order-1'))?.object.description).toBe('x-a')
  })

  it('objects reach hooks with secrets redacted, and a hook cannot change a secret', async () => {
    only({ managed: first })
    const created = await s.api('POST', '/api/v1/llms', { slug: 'reveal-key', vendor: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-original-secret-1234', models: ['gpt'] })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ name: 'saw [redacted]', apiKeyHint: '…1234' })
    const saw = await seen('hooks-a', 'llm', 'before_create', 'reveal-key')
    expect(JSON.stringify(saw)).not.toContain('sk-original')
    const stored = await s.studio.database.db.selectFrom('llms').select('api_key_encrypted').where('slug', '=', 'reveal-key').executeTakeFirstOrThrow()
    expect(s.studio.context.masterKey.decrypt(stored.api_key_encrypted!)).toBe('sk-original-secret-1234')

    // The same on an update's patch, and a user's password.
    const patched = await s.api('PATCH', `/api/v1/llms/${created.json.id}`, { apiKey: 'sk-rotated-secret-5678' })
    expect(patched.json.apiKeyHint).toBe('…5678')
    expect(JSON.stringify(await seen('hooks-a', 'llm', 'before_update', 'reveal-key'))).not.toContain('sk-rotated')
    const user = await s.api('POST', '/api/v1/users', { email: 'secret@example.com', role: 'portal', password: 'a very long password' })
    expect(user.status).toBe(201)
    expect((await seen('hooks-a', 'user', 'before_create', 'secret@example.com'))?.object.password).toBe('[redacted]')
  })

  it('a hook past its deadline fails the write when fail-closed (503 naming the plugin), and is skipped and counted when fail-open', async () => {
    only({ managed: first, failurePolicy: 'fail-closed', deadlineMs: 300 })
    const started = performance.now()
    const closed = await s.api('POST', '/api/v1/llms', { slug: 'hang-closed', vendor: 'mock', models: ['m'] })
    expect(performance.now() - started).toBeLessThan(3000)
    expect(closed.status).toBe(503)
    expect(closed.json.error).toMatchObject({ code: 'OBJECT_HOOK_FAILED', plugin: 'hooks-a' })
    expect(closed.json.error.message).toContain('plugin "hooks-a"')
    expect((await s.api('GET', '/api/v1/llms/hang-closed')).status).toBe(404)

    only({ managed: second, failurePolicy: 'fail-open', deadlineMs: 300 })
    const before = s.studio.context.objectHooks.counters('hooks-b').failedOpen
    const open = await s.api('POST', '/api/v1/llms', { slug: 'hang-open', vendor: 'mock', models: ['m'] })
    expect(open.status).toBe(201)
    expect(s.studio.context.objectHooks.counters('hooks-b').failedOpen).toBe(before + 1)
  })

  it('a plugin that is not running fails a fail-closed write with 503', async () => {
    const stopped = await host.load({ name: 'hooks-stopped', source: FIXTURE, scopes: ['kv.readwrite'] })
    await stopped.stop()
    only({ managed: stopped, failurePolicy: 'fail-closed' })
    const response = await s.api('POST', '/api/v1/apps', { slug: 'while-stopped' })
    expect(response.status).toBe(503)
    expect(response.json.error).toMatchObject({ code: 'OBJECT_HOOK_FAILED', plugin: 'hooks-stopped' })
  })

  it('after-hooks run once the write committed, off the request path; a failing one undoes nothing', async () => {
    only({ managed: first })
    const started = performance.now()
    const slow = await s.api('POST', '/api/v1/tools', { slug: 'after-slow-tool', spec: { openapi: '3.0.0', info: { title: 't', version: '1' }, servers: [{ url: 'http://127.0.0.1:9' }], paths: { '/x': { get: { operationId: 'x' } } } } })
    const answeredAt = performance.now()
    expect(slow.status).toBe(201)
    // The after-hook sleeps 1 s: the answer did not wait for it.
    expect(answeredAt - started).toBeLessThan(900)
    expect(await seen('hooks-a', 'tool', 'after_create', 'after-slow-tool')).toBeUndefined()
    await s.studio.context.objectHooks.idle()
    const saw = await seen('hooks-a', 'tool', 'after_create', 'after-slow-tool')
    expect(saw?.object).toMatchObject({ id: slow.json.id, slug: 'after-slow-tool', version: 1 })

    const failedBefore = s.studio.context.objectHooks.counters('hooks-a').afterFailed
    const failing = await s.api('POST', '/api/v1/datasources', { slug: 'after-fail-ds' })
    expect(failing.status).toBe(201)
    await s.studio.context.objectHooks.idle()
    expect(s.studio.context.objectHooks.counters('hooks-a').afterFailed).toBe(failedBefore + 1)
    expect((await s.api('GET', '/api/v1/datasources/after-fail-ds')).status).toBe(200)

    // after_update sees the object before and after; after_delete the deleted one.
    const group = (await s.api('POST', '/api/v1/groups', { name: 'team' })).json
    await s.api('PATCH', `/api/v1/groups/${group.id}`, { description: 'the team' })
    await s.api('DELETE', `/api/v1/groups/${group.id}`)
    await s.studio.context.objectHooks.idle()
    expect(await seen('hooks-a', 'group', 'after_update', 'team')).toMatchObject({ object: { description: 'the team', version: 2 }, previous: { description: '', version: 1 } })
    expect((await seen('hooks-a', 'group', 'after_delete', 'team'))?.object).toMatchObject({ id: group.id, version: 2 })
  })

  it('ObjectWriter writes without HTTP through the same validation, hooks and audit log, with the plugin as actor', async () => {
    only({ managed: first })
    const actor = { type: 'plugin' as const, id: 'svc-demo', name: 'svc-demo' }
    const writer = s.studio.context.resources
    const created = (await writer.create('llm', { slug: 'modify-by-plugin', vendor: 'mock', models: ['m'] }, actor)) as { id: string; description: string }
    expect(created.description).toBe('filled by the hook')
    expect((await seen('hooks-a', 'llm', 'before_create', 'modify-by-plugin'))?.actor).toMatchObject({ id: 'svc-demo', name: 'svc-demo', roles: ['plugin'] })

    await expect(writer.create('llm', { slug: 'Bad Slug', vendor: 'mock', models: [] }, actor)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: expect.arrayContaining([expect.objectContaining({ path: '/slug' }), expect.objectContaining({ path: '/models' })]),
    })
    await expect(writer.create('app', { slug: 'reject-by-plugin' }, actor)).rejects.toMatchObject({ code: 'OBJECT_HOOK_REJECTED', plugin: 'hooks-a' })

    const updated = (await writer.update('llm', 'modify-by-plugin', { name: 'By plugin' }, actor)) as { name: string; version: number }
    expect(updated).toMatchObject({ name: 'By plugin', version: 2 })
    await writer.delete('llm', 'modify-by-plugin', actor)

    const audit = await s.api('GET', `/api/v1/audit?actorType=plugin&objectId=${created.id}`)
    expect(audit.json.items.map((e: { action: string; actor: { id: string } }) => [e.action, e.actor.id])).toEqual([
      ['delete', 'svc-demo'],
      ['update', 'svc-demo'],
      ['create', 'svc-demo'],
    ])
  })

  it('measures what one pass-through hook adds to an LLM create (p50)', async () => {
    const createP50 = async (label: string, n: number) => {
      const times: number[] = []
      for (let i = 0; i < n; i++) {
        const started = performance.now()
        const created = await s.api('POST', '/api/v1/llms', { slug: `bench-${label}-${i}`, vendor: 'mock', models: ['m'] })
        times.push(performance.now() - started)
        expect(created.status).toBe(201)
      }
      return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
    }
    only()
    await createP50('warm', 20)
    const without = await createP50('none', 100)
    only({ managed: first })
    const withHook = await createP50('hook', 100)
    console.info(`LLM create p50: ${without.toFixed(2)} ms without hooks, ${withHook.toFixed(2)} ms with one pass-through hook (+${(withHook - without).toFixed(2)} ms)`)
    expect(withHook - without).toBeLessThan(50)
  })
})
