import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Platform } from '../src/index.js'
import { startTestPlatform, TEST_ADMIN as ADMIN, type TestPlatform } from '../src/test-platform.js'

// Installing, granting, configuring, binding, operating and reloading a plugin through the admin API,
// against a real Studio + gateway (`plugboard up`) and a real plugin process in each runtime.

const FIXTURE = new URL('./fixtures/platform-plugin/', import.meta.url)
const source = new URL('main.mjs', FIXTURE).href
const versionFile = (name: string) => new URL(`versions/${name}.json`, FIXTURE)
const declare = (name: string, declared: Record<string, unknown>) => writeFileSync(versionFile(name), JSON.stringify(declared))
const undeclare = (name: string) => {
  try {
    unlinkSync(versionFile(name))
  } catch {
    // absent already
  }
}

const DEMO_KEY = 'pb-plugins-demo-key-0123'
const OTHER_KEY = 'pb-plugins-other-key-012'

let test: TestPlatform
let platform: Platform
let upstream: Server
const seen: IncomingHttpHeaders[] = []

const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => test.api(method, path, body, headers)

async function chatWith(headers: Record<string, string>) {
  const response = await fetch(`${platform.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'up-model', messages: [{ role: 'user', content: 'hi' }] }),
  })
  await response.text()
  return { status: response.status }
}

async function chat(key = DEMO_KEY) {
  const response = await fetch(`${platform.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up-model', messages: [{ role: 'user', content: 'hi' }] }),
  })
  await response.text()
  return { status: response.status, upstream: seen.at(-1)! }
}

beforeAll(async () => {
  for (const name of ['fixture', 'broken', 'unknown-scope']) undeclare(name)
  upstream = createServer((req, res) => {
    seen.push(req.headers)
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'up-model', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }))
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  test = await startTestPlatform()
  platform = test.platform
  const applied = await api('POST', '/config/apply', {
    llms: [{ slug: 'up', vendor: 'openai', baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, apiKey: 'sk-up', models: ['up-model'] }],
    apps: [
      { id: 'demo', keys: [{ value: DEMO_KEY }], allowedLlms: ['up'] },
      { id: 'other', keys: [{ value: OTHER_KEY }], allowedLlms: ['up'] },
    ],
  })
  expect(applied.json.error).toBeUndefined()
})

afterAll(async () => {
  await test?.close()
  await new Promise((resolve) => upstream?.close(resolve))
  for (const name of ['fixture', 'broken', 'unknown-scope']) undeclare(name)
})

describe('installing a plugin', () => {
  it('refuses a path that does not exist, and installs nothing', async () => {
    const missing = await api('POST', '/plugins', { source: 'file:///nonexistent/plugin.mjs', name: 'missing' })
    expect(missing.status).toBe(422)
    expect(missing.json.error.code).toBe('PLUGIN_INSTALL_FAILED')
    expect(missing.json.error.details[0].message).toMatch(/^PLUGIN_NOT_FOUND/)
    expect((await api('GET', '/plugins/missing')).status).toBe(404)
    // Without a name, the message speaks of the plugin, not of the name it was looked at under.
    const unnamed = await api('POST', '/plugins', { source: 'file:///nonexistent/plugin.mjs' })
    expect(unnamed.json.error.message).toContain('the plugin')
    expect(unnamed.json.error.message).not.toMatch(/install-[0-9a-f]{8}/)
  })

  it('refuses a plugin that fails its handshake, with what it printed', async () => {
    declare('broken', { fail: true })
    const broken = await api('POST', '/plugins', { source, name: 'broken' })
    expect(broken.status).toBe(422)
    expect(broken.json.error.code).toBe('PLUGIN_INSTALL_FAILED')
    expect(broken.json.error.message).toContain('told to fail before its handshake')
    expect((await api('GET', '/plugins/broken')).status).toBe(404)
  })

  it('refuses a plugin that asks for scopes that do not exist', async () => {
    declare('unknown-scope', { scopes: ['kv.readwrite', 'root.everything'] })
    const refused = await api('POST', '/plugins', { source, name: 'unknown-scope' })
    expect(refused.status).toBe(422)
    expect(refused.json.error.code).toBe('PLUGIN_SCOPES_UNKNOWN')
    expect(refused.json.error.message).toContain('root.everything')
    expect((await api('GET', '/plugins/unknown-scope')).status).toBe(404)
  })

  it('installs a grpc:// plugin (a sidecar already running) without stopping it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-sidecar-'))
    const sidecar = spawn(process.execPath, [new URL('main.mjs', FIXTURE).pathname], {
      env: { PATH: process.env.PATH, PLUGBOARD_PLUGIN_COOKIE: 'plugboard.plugin.v1', PLUGIN_UNIX_SOCKET_DIR: dir, PLUGBOARD_PLUGIN_NAME: 'sidecar' },
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    try {
      const [line] = (await once(sidecar.stdout!, 'data')) as [Buffer]
      const address = line.toString().split('|')[3]!
      const installed = await api('POST', '/plugins', { source: `grpc://unix:${address}`, name: 'sidecar' })
      expect(installed.status).toBe(201)
      expect(installed.json).toMatchObject({ source: `grpc://unix:${address}`, manifest: { id: 'platform-fixture' } })
      expect(sidecar.exitCode).toBeNull()
      expect((await api('PATCH', '/plugins/sidecar', { config: { greeting: 'from the sidecar' }, enabled: true })).json.status).toBe('running')
      const current = await api('GET', '/plugins/sidecar')
      expect((await api('DELETE', '/plugins/sidecar', undefined, { 'if-match': current.etag! })).status).toBe(204)
    } finally {
      sidecar.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('stores a plugin disabled with nothing granted, showing what it asks for', async () => {
    const installed = await api('POST', '/plugins', { source, name: 'fixture' })
    expect(installed.status).toBe(201)
    expect(installed.json).toMatchObject({
      name: 'fixture',
      enabled: false,
      status: 'disabled',
      runtimes: ['gateway', 'studio'],
      manifest: { id: 'platform-fixture', version: '1.0.0', capabilities: expect.arrayContaining(['post_auth', 'object_hooks', 'scheduler']) },
      requested: { scopes: ['kv.readwrite', 'llms.read', 'llms.proxy', 'events.publish', 'events.subscribe'], topics: { publish: ['fixture.>'], subscribe: ['system.objects.>'] }, objectHooks: ['llm'] },
      granted: { scopes: [], topics: { publish: [], subscribe: [] }, objectHooks: [] },
      configSchema: { required: ['greeting'] },
    })
    expect((await api('POST', '/plugins', { source, name: 'fixture' })).json.error.code).toBe('ALREADY_EXISTS')
    const audit = await api('GET', '/audit?objectType=plugin')
    expect(audit.json.items.some((entry: { action: string }) => entry.action === 'install')).toBe(true)
  })
})

describe('granting and configuring', () => {
  it('grants scopes one by one, refusing one the manifest did not request', async () => {
    const refused = await api('POST', '/plugins/fixture/scopes', { scope: 'apps.write' })
    expect(refused.status).toBe(422)
    expect(refused.json.error.code).toBe('GRANT_NOT_REQUESTED')
    const granted = await api('POST', '/plugins/fixture/scopes', { scope: 'kv.readwrite' })
    expect(granted.status).toBe(200)
    expect(granted.json.granted.scopes).toEqual(['kv.readwrite'])
    const topic = await api('PATCH', '/plugins/fixture', { topics: { publish: ['elsewhere.>'] } })
    expect(topic.json.error).toMatchObject({ code: 'GRANT_NOT_REQUESTED', details: [{ path: '/topics/publish/0' }] })
    expect((await api('PATCH', '/plugins/fixture', { topics: { publish: ['fixture.usage'] }, objectHooks: ['llm'] })).status).toBe(200)
    expect((await api('PATCH', '/plugins/fixture', { objectHooks: ['app'] })).json.error.code).toBe('GRANT_NOT_REQUESTED')
  })

  it('validates the config against the plugin schema before saving it, with paths', async () => {
    const invalid = await api('PATCH', '/plugins/fixture', { config: { greeting: 7, extra: true } })
    expect(invalid.status).toBe(422)
    expect(invalid.json.error.code).toBe('PLUGIN_CONFIG_INVALID')
    expect(invalid.json.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/config/greeting' }), expect.objectContaining({ path: '/config/extra' })]))
    expect((await api('POST', '/plugins/fixture/enable')).json.error).toMatchObject({ code: 'PLUGIN_CONFIG_INVALID', details: [{ path: '/config/greeting' }] })
    expect((await api('GET', '/plugins/fixture')).json).toMatchObject({ enabled: false, config: null })
  })

  it('starts both halves when enabled: the gateway half runs its post-auth hook', async () => {
    expect((await api('PATCH', '/plugins/fixture', { config: { greeting: 'hello' } })).status).toBe(200)
    const enabled = await api('POST', '/plugins/fixture/enable')
    expect(enabled.status).toBe(200)
    expect(enabled.json.status).toBe('running')
    const status = await api('GET', '/plugins/fixture/status')
    expect(status.json).toMatchObject({ status: 'running', runtimes: { studio: { state: 'running' }, gateway: { state: 'running' } } })
    expect(status.json.runtimes.studio.pid).not.toBe(status.json.runtimes.gateway.pid)
    const sent = await chat()
    expect(sent.status).toBe(200)
    expect(sent.upstream['x-fixture-greeting']).toBe('hello')
  })

  it('runs its object hooks only while the object type is granted', async () => {
    const rejected = await api('POST', '/llms', { slug: 'forbidden-one', name: 'forbidden one', vendor: 'mock', models: ['m'] })
    expect(rejected.status).toBe(422)
    expect(rejected.json.error).toMatchObject({ code: 'OBJECT_HOOK_REJECTED', message: expect.stringContaining('"fixture"') })
    expect((await api('PATCH', '/plugins/fixture', { objectHooks: [] })).status).toBe(200)
    const allowed = await api('POST', '/llms', { slug: 'forbidden-one', name: 'forbidden one', vendor: 'mock', models: ['m'] })
    expect(allowed.status).toBe(201)
    expect((await api('DELETE', '/llms/forbidden-one', undefined, { 'if-match': allowed.etag! })).status).toBe(204)
    expect((await api('PATCH', '/plugins/fixture', { objectHooks: ['llm'] })).status).toBe(200)
  })

  it("stores the manifest's schedules and runs one now in the Studio half", async () => {
    const schedules = await api('GET', '/schedules?plugin=fixture')
    expect(schedules.json.items).toMatchObject([{ plugin: 'fixture', scheduleId: 'tick', cron: '0 0 1 1 *', enabled: true }])
    const run = await api('POST', `/schedules/${schedules.json.items[0].id}/run`)
    expect(run.status).toBe(202)
    let runs = await api('GET', `/schedules/${schedules.json.items[0].id}/runs`)
    for (let i = 0; i < 100 && runs.json.items[0]?.status !== 'completed'; i++) {
      await sleep(50)
      runs = await api('GET', `/schedules/${schedules.json.items[0].id}/runs`)
    }
    expect(runs.json.items[0]).toMatchObject({ trigger: 'manual', status: 'completed', output: { ran: true } })
  })

  it('runs a hook bound to an app only for that app', async () => {
    expect((await api('PATCH', '/plugins/fixture', { apps: ['nope'] })).json.error.code).toBe('REFERENCE_NOT_FOUND')
    expect((await api('PATCH', '/plugins/fixture', { apps: ['other'] })).status).toBe(200)
    expect((await chat(DEMO_KEY)).upstream['x-fixture-greeting']).toBeUndefined()
    expect((await chat(OTHER_KEY)).upstream['x-fixture-greeting']).toBe('hello')
    expect((await api('PATCH', '/plugins/fixture', { apps: [] })).status).toBe(200)
    expect((await chat(DEMO_KEY)).upstream['x-fixture-greeting']).toBe('hello')
  })

  it("answers the plugin's admin RPC with the host-verified admin, refusing undeclared methods", async () => {
    const answered = await api('POST', '/plugins/fixture/rpc/whoami', { asking: true, user: { email: 'forged@example.com' } })
    expect(answered.status).toBe(200)
    expect(answered.json.result).toMatchObject({ method: 'whoami', payload: { asking: true }, user: { email: ADMIN.email, roles: ['admin'] } })
    const undeclared = await api('POST', '/plugins/fixture/rpc/shutdown', {})
    expect(undeclared.status).toBe(403)
    expect(undeclared.json.error.code).toBe('RPC_METHOD_NOT_DECLARED')
  })

  it('serves the Service API to the plugin, within its grant: KV in the database, LLMs, completions through the gateway as the plugin', async () => {
    expect((await api('POST', '/plugins/fixture/rpc/llms', {})).json.result).toMatchObject({ error: 'SCOPE_DENIED' })
    expect((await api('POST', '/plugins/fixture/rpc/count', {})).json.result).toEqual({ value: 1 })
    expect((await api('POST', '/plugins/fixture/rpc/count', {})).json.result).toEqual({ value: 2 })
    const stored = await platform.studio.context.db.selectFrom('plugin_kv').selectAll().where('namespace', '=', 'fixture').execute()
    expect(stored.map((row) => [row.key, Buffer.from(row.value).toString()])).toEqual([['count', '2']])
    expect((await api('POST', '/plugins/fixture/scopes', { scope: 'llms.read' })).status).toBe(200)
    expect((await api('POST', '/plugins/fixture/rpc/llms', {})).json.result).toEqual(['up'])
    expect((await api('POST', '/plugins/fixture/rpc/complete', { llm: 'up' })).json.result).toMatchObject({ error: 'SCOPE_DENIED' })
    expect((await api('POST', '/plugins/fixture/scopes', { scope: 'llms.proxy' })).status).toBe(200)
    const before = seen.length
    const completed = await api('POST', '/plugins/fixture/rpc/complete', { llm: 'up' })
    expect(completed.json.result).toMatchObject({ status: 200, body: { choices: [{ message: { content: 'ok' } }] } })
    // Through the gateway pipeline: the plugin's own post-auth hook ran on it, as on any request.
    expect(seen.length).toBe(before + 1)
    expect(seen.at(-1)!['x-fixture-greeting']).toBe('hello')
    for (const scope of ['llms.read', 'llms.proxy']) expect((await api('DELETE', `/plugins/fixture/scopes/${scope}`)).status).toBe(200)
  })

  it("carries edge payloads from the gateway half to the Studio half, and object events within the grant, without secrets", async () => {
    // Without events.publish the gateway half's send is refused, and the request fails open.
    expect((await chatWith({ 'x-edge': 'refused' })).status).toBe(200)
    expect((await api('POST', '/plugins/fixture/rpc/edge', {})).json.result).toEqual([])
    expect((await api('POST', '/plugins/fixture/scopes', { scope: 'events.publish' })).status).toBe(200)
    expect((await chatWith({ 'x-edge': 'hello studio' })).status).toBe(200)
    let edge = (await api('POST', '/plugins/fixture/rpc/edge', {})).json.result
    for (let i = 0; i < 50 && edge.length === 0; i++) {
      await sleep(20)
      edge = (await api('POST', '/plugins/fixture/rpc/edge', {})).json.result
    }
    expect(edge).toMatchObject([{ kind: 'probe', payload: 'hello studio' }])

    expect((await api('POST', '/plugins/fixture/scopes', { scope: 'events.subscribe' })).status).toBe(200)
    expect((await api('PATCH', '/plugins/fixture', { topics: { subscribe: ['system.objects.llm.>'] } })).status).toBe(200)
    expect((await api('POST', '/plugins/fixture/rpc/subscribe', { topic: 'system.objects.>' })).status).toBe(200)
    expect((await api('POST', '/plugins/fixture/rpc/events', {})).json.result).toEqual([{ error: 'TOPIC_DENIED' }])
    expect((await api('POST', '/plugins/fixture/rpc/subscribe', { topic: 'system.objects.llm.>' })).status).toBe(200)
    expect((await api('POST', '/llms', { slug: 'with-key', vendor: 'openai', baseUrl: 'https://llm.example.com/v1', apiKey: 'sk-very-secret-key', models: ['m'] })).status).toBe(201)
    let events = (await api('POST', '/plugins/fixture/rpc/events', {})).json.result
    for (let i = 0; i < 50 && events.length < 2; i++) {
      await sleep(20)
      events = (await api('POST', '/plugins/fixture/rpc/events', {})).json.result
    }
    expect(events[1]).toMatchObject({ topic: 'system.objects.llm.create', source: 'host', payload: { type: 'llm', action: 'create', object: { slug: 'with-key', apiKeyHint: '…-key' } } })
    expect(JSON.stringify(events)).not.toContain('sk-very-secret-key')
  })

  it('keeps a log tail of both runtimes', async () => {
    const logs = await api('GET', '/plugins/fixture/logs?limit=50')
    expect(logs.status).toBe(200)
    const runtimes = new Set(logs.json.items.map((line: { runtime: string }) => line.runtime))
    expect(runtimes).toEqual(new Set(['studio', 'gateway']))
    expect(logs.json.items.some((line: { message: string }) => line.message === 'plugin started')).toBe(true)
  })
})

describe('reloading', () => {
  it('runs a new version that asks for more scopes with the old grant, showing scopes_pending until approved', async () => {
    declare('fixture', { version: '2.0.0', scopes: ['kv.readwrite', 'llms.read', 'llms.write'] })
    const reloaded = await api('POST', '/plugins/fixture/reload')
    expect(reloaded.status).toBe(200)
    expect(reloaded.json).toMatchObject({ status: 'scopes_pending', pendingScopes: ['llms.write'], granted: { scopes: ['kv.readwrite'] }, manifest: { version: '2.0.0' }, revision: 1 })
    expect((await chat()).upstream['x-fixture-version']).toBe('2.0.0')
    const approved = await api('POST', '/plugins/fixture/scopes', { scope: 'llms.write' })
    expect(approved.json).toMatchObject({ status: 'running', pendingScopes: [], granted: { scopes: ['kv.readwrite', 'llms.write'] } })
  })

  it('keeps the running version serving when the new one fails its handshake, and shows the error', async () => {
    declare('fixture', { fail: true })
    const failed = await api('POST', '/plugins/fixture/reload')
    expect(failed.status).toBe(422)
    expect(failed.json.error.code).toBe('PLUGIN_RELOAD_FAILED')
    expect((await chat()).upstream['x-fixture-version']).toBe('2.0.0')
    const status = await api('GET', '/plugins/fixture/status')
    expect(status.json.status).toBe('running')
    expect(status.json.lastErrors.at(-1)).toMatchObject({ code: expect.stringMatching(/^PLUGIN_/), message: expect.stringContaining('told to fail') })
    expect((await api('GET', '/plugins/fixture')).json.revision).toBe(1)
    undeclare('fixture')
  })

  it('drops a grant the new version no longer asks for', async () => {
    const reloaded = await api('POST', '/plugins/fixture/reload')
    // v1 asks for scopes v2 did not: pending again.
    expect(reloaded.json).toMatchObject({ manifest: { version: '1.0.0' }, granted: { scopes: ['kv.readwrite'] }, status: 'scopes_pending' })
    expect([...reloaded.json.pendingScopes].sort()).toEqual(['events.publish', 'events.subscribe', 'llms.proxy'])
  })
})

describe('reloading under load', () => {
  it('answers every request of 16 concurrent clients while the plugin is reloaded in both runtimes', async () => {
    let stop = false
    const statuses: number[] = []
    const versions = new Set<string>()
    const client = async () => {
      while (!stop) {
        const sent = await chat()
        statuses.push(sent.status)
        versions.add(String(sent.upstream['x-fixture-version']))
      }
    }
    const clients = Array.from({ length: 16 }, client)
    await sleep(200)
    declare('fixture', { version: '3.0.0' })
    const reloaded = await api('POST', '/plugins/fixture/reload')
    undeclare('fixture')
    await sleep(300)
    stop = true
    await Promise.all(clients)
    expect(reloaded.status).toBe(200)
    expect(statuses.length).toBeGreaterThan(100)
    expect(statuses.filter((status) => status !== 200)).toEqual([])
    expect(versions).toEqual(new Set(['1.0.0', '3.0.0']))
  })
})

describe('a plugin that cannot start', () => {
  it('fails alone: other changes still reach the gateway, and a fail-closed one fails requests naming itself', async () => {
    const installed = await api('POST', '/plugins', { source, name: 'initfails' })
    expect(installed.status).toBe(201)
    const enabled = await api('PATCH', '/plugins/initfails', { config: { greeting: 'fail-init' }, failurePolicy: 'fail-closed', enabled: true })
    expect(enabled.status).toBe(200)
    expect(enabled.json.status).toBe('failed')
    const status = await api('GET', '/plugins/initfails/status')
    expect(status.json.lastErrors.map((problem: { runtime: string }) => problem.runtime)).toEqual(expect.arrayContaining(['studio', 'gateway']))
    expect(status.json.lastErrors.at(-1).message).toContain('told to fail in Initialize')
    const blocked = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up-model', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(blocked.status).toBe(502)
    expect(await blocked.json()).toMatchObject({ error: { code: 'PLUGIN_FAILED', message: expect.stringContaining('"initfails"') } })
    // Another change still applies to the gateway while this plugin is failed.
    expect((await api('POST', '/llms', { slug: 'later', vendor: 'mock', models: ['later-model'] })).status).toBe(201)
    expect(platform.gateway.config.llms.map((llm) => llm.slug)).toContain('later')
    // Fixed config: it starts, and requests pass again.
    const fixed = await api('PATCH', '/plugins/initfails', { config: { greeting: 'fixed' } })
    expect(fixed.json.status).toBe('running')
    expect((await chat()).status).toBe(200)
    const current = await api('GET', '/plugins/initfails')
    expect((await api('DELETE', '/plugins/initfails', undefined, { 'if-match': current.etag! })).status).toBe(204)
  })
})

describe('operating', () => {
  it('stops both halves when disabled, and removes everything when uninstalled', async () => {
    const disabled = await api('POST', '/plugins/fixture/disable')
    expect(disabled.json.status).toBe('disabled')
    expect((await chat()).upstream['x-fixture-greeting']).toBeUndefined()
    expect(platform.studio.plugins.studioHalf('fixture')).toBeUndefined()
    const current = await api('GET', '/plugins/fixture')
    expect((await api('DELETE', '/plugins/fixture', undefined, { 'if-match': current.etag! })).status).toBe(204)
    expect((await api('GET', '/plugins/fixture')).status).toBe(404)
    for (let i = 0; i < 50 && platform.gateway.plugins().some((plugin) => plugin.name === 'fixture'); i++) await sleep(100)
    expect(platform.gateway.plugins().map((plugin) => plugin.name)).not.toContain('fixture')
  })
})

describe('a plugin added by a config file', () => {
  // Last: applying a plugins section replaces every installed plugin.
  it('has its manifest read once, so the API shows what it asks for, each of several once', async () => {
    const enricher = new URL('../../../examples/plugins/request-enricher', import.meta.url).href
    const names = ['from-file', 'from-file-2', 'from-file-3']
    const applied = await api('POST', '/config/apply', { plugins: names.map((name) => ({ name, source: enricher, enabled: false })) })
    expect(applied.status).toBe(200)
    const read = async () => Promise.all(names.map(async (name) => (await api('GET', `/plugins/${name}`)).json))
    let plugins = await read()
    for (let i = 0; i < 200 && plugins.some((plugin) => plugin.manifest === null); i++) {
      await sleep(50)
      plugins = await read()
    }
    for (const plugin of plugins) expect(plugin).toMatchObject({ manifest: { id: 'request-enricher' }, requested: { scopes: ['kv.readwrite'] }, runtimes: ['gateway'] })
    // Each description is a write that starts another reconcile: a plugin still waiting must not be queued again.
    await sleep(500)
    const described = (await api('GET', '/audit?action=describe&objectType=plugin&limit=100')).json.items as { objectId: string }[]
    expect(described.map((entry) => entry.objectId).sort()).toEqual(plugins.map((plugin) => plugin.id).sort())
    for (const name of names) {
      const current = await api('GET', `/plugins/${name}`)
      expect((await api('DELETE', `/plugins/${name}`, undefined, { 'if-match': current.etag! })).status).toBe(204)
    }
  })
})
