import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCoreServiceHandlers, MemoryEventBus, type Scope, type ServiceCaller } from '@plugboard/proto'
import { openDatabase, type StudioDatabase } from '../src/db/database.js'
import { PostgresKvStore } from '../src/plugins/kv-store.js'
import { startTestPlatform, type TestPlatform } from '../src/testing.js'

// Input a careless admin or a hostile plugin gives the plugin platform, against a real Studio + gateway:
// each must be refused with a clear 4xx (or a typed Service API error), never stored to fail later.

const PLATFORM_PLUGIN = new URL('./fixtures/platform-plugin/main.mjs', import.meta.url).href
const ODD_SCHEMA_PLUGIN = new URL('./fixtures/odd-schema-plugin.mjs', import.meta.url).href
const NOT_A_PLUGIN = new URL('./fixtures/exits-before-handshake.mjs', import.meta.url).href

let test: TestPlatform

beforeAll(async () => {
  test = await startTestPlatform()
}, 60_000)

afterAll(async () => {
  await test?.close()
})

describe('topic grants', () => {
  it('refuses a pattern the host would refuse at start (422 with its path), so the plugin keeps running', async () => {
    await test.installPlugin('topics', PLATFORM_PLUGIN, { config: { greeting: 'hi' } })
    for (const [direction, pattern] of [
      ['publish', 'fixture.>>'],
      ['publish', 'fixture.>.x'],
      ['publish', 'fixture..a'],
      ['publish', 'fixture.a*'],
      ['subscribe', 'system.objects..llm'],
    ] as const) {
      const refused = await test.api('PATCH', '/plugins/topics', { topics: { [direction]: [pattern] } })
      expect(refused.status, pattern).toBe(422)
      expect(refused.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: `/topics/${direction}/0` }] })
    }
    const plugin = await test.api('GET', '/plugins/topics')
    expect(plugin.json).toMatchObject({ status: 'running', granted: { topics: { publish: [], subscribe: [] } } })
    expect((await test.api('PATCH', '/plugins/topics', { topics: { publish: ['fixture.*'] } })).json).toMatchObject({ status: 'running', granted: { topics: { publish: ['fixture.*'] } } })
  })
})

describe('failed installs', () => {
  it('leave no log lines behind (the log tail tracks a bounded number of plugins), and a taken name is refused before anything starts', async () => {
    for (let i = 0; i < 3; i++) expect((await test.api('POST', '/plugins', { source: NOT_A_PLUGIN, name: 'retried' })).json.error.code).toBe('PLUGIN_INSTALL_FAILED')
    await test.installPlugin('retried', PLATFORM_PLUGIN, { config: { greeting: 'hi' } })
    const fromFailures = async () => ((await test.api('GET', '/plugins/retried/logs')).json.items as unknown[]).filter((line) => JSON.stringify(line).includes('this is not a plugin'))
    expect((await test.api('GET', '/plugins/retried/logs')).json.items.length).toBeGreaterThan(0)
    expect(await fromFailures()).toEqual([])

    const taken = await test.api('POST', '/plugins', { source: NOT_A_PLUGIN, name: 'retried' })
    expect(taken.status).toBe(409)
    expect(taken.json.error).toMatchObject({ code: 'ALREADY_EXISTS', details: [{ path: '/name' }] })
    expect(await fromFailures()).toEqual([])
  })
})

describe('a binding to an app that was renamed or deleted since', () => {
  it('does not lock the plugin: it can still be disabled and have a scope revoked, and a new unknown app is still refused', async () => {
    expect((await test.api('POST', '/apps', { slug: 'bound-app', name: 'Bound' })).status).toBe(201)
    await test.installPlugin('bound', PLATFORM_PLUGIN, { scopes: ['kv.readwrite'], config: { greeting: 'hi' } })
    expect((await test.api('PATCH', '/plugins/bound', { apps: ['bound-app'], hooks: ['post_auth'] })).status).toBe(200)
    expect((await test.api('PATCH', '/apps/bound-app', { slug: 'renamed-app' })).status).toBe(200)

    expect((await test.api('DELETE', '/plugins/bound/scopes/kv.readwrite')).json).toMatchObject({ granted: { scopes: [] } })
    expect((await test.api('POST', '/plugins/bound/disable')).json).toMatchObject({ enabled: false, status: 'disabled' })
    const unknown = await test.api('PATCH', '/plugins/bound', { apps: ['bound-app', 'no-such-app'] })
    expect(unknown.status).toBe(422)
    expect(unknown.json.error).toMatchObject({ code: 'REFERENCE_NOT_FOUND', details: [{ path: '/apps/1' }] })
    expect((await test.api('PATCH', '/plugins/bound', { apps: ['renamed-app'] })).json).toMatchObject({ binding: { apps: ['renamed-app'] } })
  })
})

describe('a config given with a reload', () => {
  it('is checked against the schema also while the plugin is disabled, and not saved when it does not fit', async () => {
    expect((await test.api('POST', '/plugins', { source: PLATFORM_PLUGIN, name: 'reloaded-off' })).status).toBe(201)
    const refused = await test.api('POST', '/plugins/reloaded-off/reload', { config: { greeting: 5 } })
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'PLUGIN_CONFIG_INVALID', details: [{ path: '/config/greeting' }] })
    expect((await test.api('GET', '/plugins/reloaded-off')).json).toMatchObject({ config: null, revision: 0 })
  })
})

describe('a config schema that does not compile', () => {
  it('refuses the install with the host code, and installs nothing', async () => {
    const refused = await test.api('POST', '/plugins', { source: ODD_SCHEMA_PLUGIN, name: 'schema-invalid' })
    expect(refused.status).toBe(422)
    expect(refused.json.error.code).toBe('PLUGIN_INSTALL_FAILED')
    expect(refused.json.error.details[0].message).toMatch(/^PLUGIN_MANIFEST_INVALID: .*config schema ajv cannot compile/)
    expect((await test.api('GET', '/plugins/schema-invalid')).status).toBe(404)
  })

  it('a schema of false installs, and enabling it answers 422 at /config: no config can fit', async () => {
    expect((await test.api('POST', '/plugins', { source: ODD_SCHEMA_PLUGIN, name: 'schema-false' })).status).toBe(201)
    const refused = await test.api('POST', '/plugins/schema-false/enable')
    expect(refused.status).toBe(422)
    expect(refused.json.error).toMatchObject({ code: 'PLUGIN_CONFIG_INVALID', details: [{ path: '/config', message: 'boolean schema is false' }] })
  })
})

describe('Service API KV keys with a NUL byte', () => {
  let database: StudioDatabase
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-kv-nul-'))
    database = await openDatabase({ dataDir: dir })
  })
  afterAll(async () => {
    await database?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('are refused as SERVICE_INVALID_REQUEST before they reach the database (which cannot hold NUL in text)', async () => {
    const kv = new PostgresKvStore({ db: database.db, logger: pino({ level: 'silent' }), exactReadCache: false })
    const api = createCoreServiceHandlers({ kv, events: new MemoryEventBus(), log: () => {} })
    const caller: ServiceCaller = { plugin: 'kv-nul', scopes: new Set<Scope>(['kv.readwrite']), topics: { publish: [], subscribe: [] } }
    const codeOf = (call: Promise<unknown>) => call.then(() => 'ok', (error: { code?: string }) => error.code)
    const key = 'a\u0000b'
    const { signal } = new AbortController()
    expect(await codeOf(api.kvSet({ key, value: Buffer.from('x'), ttlMs: 0 }, caller, signal))).toBe('SERVICE_INVALID_REQUEST')
    expect(await codeOf(api.kvGet({ key }, caller, signal))).toBe('SERVICE_INVALID_REQUEST')
    expect(await codeOf(api.kvIncrement({ key, delta: 1, ttlMs: 0 }, caller, signal))).toBe('SERVICE_INVALID_REQUEST')
    expect(await codeOf(api.kvList({ prefix: '\u0000', limit: 10 }, caller, signal))).toBe('SERVICE_INVALID_REQUEST')
    expect(await codeOf(api.kvList({ prefix: '', limit: 10 }, caller, signal))).toBe('ok')
  })
})
