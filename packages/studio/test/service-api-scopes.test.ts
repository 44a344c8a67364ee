import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { credentials, Server, ServerCredentials, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js'
import { serviceApiImplementation } from '@plugboard/host'
import { fromGrpcError, SCOPES, SERVICE_API_METHOD_SCOPES, servicev1, STREAM_SERVICE_METHODS, type Scope, type ServiceApiMethod, type TopicGrant } from '@plugboard/proto'
import { sql } from 'kysely'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Platform } from '../src/index.js'
import { STUDIO_VERSION } from '../src/studio.js'
import { startTestPlatform, TEST_ADMIN, type TestPlatform } from '../src/testing.js'

// Every Service API method against the production wiring: a real Platform (Studio + gateway on
// PGlite) and the handler set its Studio-runtime PluginHost serves plugins (`host.serviceApi`:
// core KV/log/events, Studio's ObjectWriter, Scheduler and completion proxy), served over a real
// gRPC connection by the host's `serviceApiImplementation` for a caller that is an installed,
// enabled plugin (the platform fixture, installed as "scoped" through the admin API).

const PLUGIN = 'scoped'
const TOPICS: TopicGrant = { publish: ['scoped.>'], subscribe: ['scoped.>'] }
const FIXTURE = new URL('./fixtures/platform-plugin/main.mjs', import.meta.url).href
const logger = pino({ level: 'silent' })

let test: TestPlatform
let platform: Platform
let upstream: HttpServer
let toolServer: HttpServer
/** What reached the mock LLM: each request's headers and body. */
const upstreamSeen: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = []
/** Events on the Studio host's bus under `scoped.>`. */
const busEvents: Array<{ topic: string; source: string }> = []
const following = new AbortController()
const seeded = { llm: '', app: '', tool: '', datasource: '', user: '', schedule: '', otherSchedule: '', doomedLlm: '', doomedApp: '', pluginId: '' }

const api = (method: string, path: string, body?: unknown) => test.api(method, path, body)

async function created(path: string, body: object): Promise<string> {
  const { status, json } = await api('POST', path, body)
  expect(status, JSON.stringify(json)).toBe(201)
  return json.id as string
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** An OpenAI-compatible LLM: one completion, or (stream: true) two SSE chunks and [DONE]. */
function mockLlm(): HttpServer {
  return createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>
      upstreamSeen.push({ headers: req.headers, body })
      const base = { id: 'c1', created: 1, model: 'm' }
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'str' }, finish_reason: null }] })}\n\n`)
        res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'eamed' }, finish_reason: 'stop' }] })}\n\n`)
        res.end('data: [DONE]\n\n')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }))
    })
  })
}

const listen = async (server: HttpServer) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The Studio host's Service API for plugin PLUGIN with `scopes` and `topics`, over a real gRPC connection. */
async function connect(scopes: readonly Scope[], topics?: TopicGrant): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = new Server()
  server.addService(servicev1.ServiceApiService, serviceApiImplementation(platform.studio.plugins.host.serviceApi, { plugin: PLUGIN, scopes: new Set(scopes), ...(topics && { topics }) }, logger))
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))))
  const client = new servicev1.ServiceApiClient(`127.0.0.1:${port}`, credentials.createInsecure())
  return {
    client,
    close: async () => {
      client.close()
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()))
    },
  }
}

/** One call over the connection: its response (a stream's messages), or the error the SDK would rebuild. */
async function invoke(client: Client, method: ServiceApiMethod, request: object): Promise<{ ok: true; value: any } | { ok: false; code: string; message: string }> {
  const callable = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(client)
  try {
    if ((STREAM_SERVICE_METHODS as readonly string[]).includes(method)) {
      const stream = callable(request) as ClientReadableStream<unknown>
      const messages: unknown[] = []
      // A subscription that was admitted stays open: an event is published into it, then it is ended.
      const publishing = method === 'subscribe' ? setTimeout(() => void platform.studio.plugins.host.events.publish({ topic: 'scoped.ping', payload: Buffer.from('{}'), source: 'host', timestampMs: Date.now(), direction: 0 }), 150) : undefined
      const ending = method === 'subscribe' ? setTimeout(() => stream.cancel(), 400) : undefined
      try {
        for await (const message of stream) messages.push(message)
      } catch (error) {
        if ((error as ServiceError).code !== 1 /* CANCELLED: the subscription we ended */) throw error
      } finally {
        clearTimeout(publishing)
        clearTimeout(ending)
      }
      return { ok: true, value: messages }
    }
    const value = await new Promise((resolve, reject) => callable(request, (error: ServiceError | null, response: unknown) => (error ? reject(error) : resolve(response))))
    return { ok: true, value }
  } catch (error) {
    const rebuilt = fromGrpcError(error, 'UNKNOWN')
    return { ok: false, code: rebuilt.code, message: rebuilt.message }
  }
}

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))
const page = (filter?: object) => ({ limit: 10, cursor: '', filterJson: filter ? JSON.stringify(filter) : '' })
const parse = (value: { json: Buffer }) => JSON.parse(value.json.toString())
const chat = { messages: [{ role: 'user', content: 'hi' }] }

interface Case {
  request: () => object
  /** The topic patterns the call needs besides its scope. */
  topics?: TopicGrant
  /** What a call with the scope proves; absent: that it succeeded. */
  check?: (value: any) => void | Promise<void>
  /** A method this runtime refuses by design: with the scope it answers this code. */
  answers?: string
}

/** One case per Service API method; a method added to the operation table without one fails below. */
const CASES: Record<ServiceApiMethod, Case> = {
  kvGet: { request: () => ({ key: 'k' }), check: (v) => expect(v).toMatchObject({ found: true, value: Buffer.from('v') }) },
  kvSet: { request: () => ({ key: 'k2', value: Buffer.from('v2'), ttlMs: 0 }), check: async () => expect((await platform.studio.kv.get(PLUGIN, 'k2'))?.toString()).toBe('v2') },
  kvDelete: { request: () => ({ key: 'k' }), check: (v) => expect(v.deleted).toBe(true) },
  kvList: { request: () => ({ prefix: 'k', limit: 10 }), check: (v) => expect(v.entries.map((e: { key: string }) => e.key)).toEqual(['k2']) },
  kvIncrement: { request: () => ({ key: 'n', delta: 2, ttlMs: 0 }), check: (v) => expect(Number(v.value)).toBe(2) },
  kvCompareAndSet: { request: () => ({ key: 'c', expectAbsent: true, expected: Buffer.alloc(0), value: Buffer.from('x'), ttlMs: 0 }), check: (v) => expect(v.swapped).toBe(true) },
  log: { request: () => ({ level: 2, message: 'hello', fieldsJson: Buffer.alloc(0) }) },
  publish: {
    request: () => ({ topic: 'scoped.test', payload: Buffer.from('{}'), direction: 0 }),
    topics: { publish: ['scoped.>'], subscribe: [] },
    check: () => until(() => busEvents.some((e) => e.topic === 'scoped.test' && e.source === PLUGIN), 'the published event on the Studio bus'),
  },
  subscribe: { request: () => ({ topic: 'scoped.>' }), topics: { publish: [], subscribe: ['scoped.>'] }, check: (v) => expect(v.map((e: { topic: string }) => e.topic)).toContain('scoped.ping') },
  // Edge payloads go from a gateway half to its Studio half: a Studio half sending one is refused (after the scope check, which the refused case proves).
  sendEdgePayload: { request: () => ({ kind: 'usage', payload: Buffer.from('{}') }), answers: 'SERVICE_INVALID_REQUEST' },
  listLlms: { request: () => page({ q: 'seed' }), check: (v) => expect(v.items.map((i: any) => parse(i).slug)).toEqual(['seed-llm']) },
  getLlm: { request: () => ({ id: seeded.llm }), check: (v) => expect(JSON.stringify(parse(v))).not.toContain('sk-secret-1234') },
  createLlm: { request: () => ({ id: '', json: bytes({ slug: 'made-by-plugin', vendor: 'mock', models: ['m'] }) }), check: (v) => expect(parse(v).slug).toBe('made-by-plugin') },
  updateLlm: { request: () => ({ id: seeded.llm, json: bytes({ name: 'Renamed' }) }), check: (v) => expect(parse(v).name).toBe('Renamed') },
  deleteLlm: { request: () => ({ id: seeded.doomedLlm }), check: async () => expect((await api('GET', `/llms/${seeded.doomedLlm}`)).status).toBe(404) },
  proxyCompletion: {
    request: () => ({ llm: 'seed-llm', requestJson: bytes(chat) }),
    check: (v) => {
      expect(v.status).toBe(200)
      expect(JSON.parse(v.responseJson.toString())).toMatchObject({ choices: [{ message: { content: 'ok' } }] })
      // Through the gateway pipeline: the plugin's own post-auth hook ran on it, as on any app's request.
      expect(upstreamSeen.at(-1)).toMatchObject({ headers: { 'x-fixture-greeting': 'hello', authorization: 'Bearer sk-secret-1234' }, body: { model: 'm', stream: false } })
    },
  },
  proxyCompletionStream: {
    request: () => ({ llm: 'seed-llm', requestJson: bytes(chat) }),
    check: (v) => {
      expect(v[0]).toMatchObject({ status: 200 })
      const sse = Buffer.concat(v.slice(1).map((m: { data: Buffer }) => m.data)).toString()
      expect(sse).toContain('"content":"eamed"')
      expect(sse).toContain('data: [DONE]')
      expect(upstreamSeen.at(-1)).toMatchObject({ headers: { 'x-fixture-greeting': 'hello' }, body: { stream: true } })
    },
  },
  listApps: { request: () => page({ q: 'seed' }), check: (v) => expect(v.items.map((i: any) => parse(i).slug)).toEqual(['seed-app']) },
  getApp: { request: () => ({ id: seeded.app }), check: (v) => expect(parse(v).slug).toBe('seed-app') },
  createApp: { request: () => ({ id: '', json: bytes({ slug: 'app-by-plugin' }) }), check: (v) => expect(parse(v).slug).toBe('app-by-plugin') },
  updateApp: { request: () => ({ id: seeded.app, json: bytes({ name: 'Renamed app' }) }), check: (v) => expect(parse(v).name).toBe('Renamed app') },
  deleteApp: { request: () => ({ id: seeded.doomedApp }), check: async () => expect((await api('GET', `/apps/${seeded.doomedApp}`)).status).toBe(404) },
  listTools: { request: () => page(), check: (v) => expect(v.items).toHaveLength(1) },
  getTool: { request: () => ({ id: seeded.tool }), check: (v) => expect(JSON.stringify(parse(v))).not.toContain('tok-9876') },
  executeTool: { request: () => ({ id: seeded.tool, operation: 'ping', argumentsJson: Buffer.alloc(0) }), check: (v) => expect(parse(v)).toMatchObject({ status: 200, body: { pong: true } }) },
  listDatasources: { request: () => page(), check: (v) => expect(v.items.map((i: any) => parse(i).slug)).toEqual(['manuals']) },
  getDatasource: { request: () => ({ id: seeded.datasource }), check: (v) => expect(parse(v).documents).toBe(1) },
  queryDatasource: { request: () => ({ id: seeded.datasource, query: 'kettle', limit: 5 }), check: (v) => expect(parse(v).items.length).toBe(1) },
  listUsers: { request: () => page(), check: (v) => expect(JSON.stringify(v.items.map(parse))).not.toContain('password_hash') },
  getUser: { request: () => ({ id: seeded.user }), check: (v) => expect(parse(v)).toMatchObject({ email: TEST_ADMIN.email }) },
  getAnalyticsSummary: { request: () => ({ appId: '', fromMs: 0, toMs: 0 }), check: (v) => expect(parse(v).totals).toHaveProperty('requests') },
  // Only the caller's own schedules: "other"'s is not listed.
  listSchedules: { request: () => page(), check: (v) => expect(v.items.map(parse)).toMatchObject([{ id: seeded.schedule, plugin: PLUGIN, scheduleId: 'tick' }]) },
  setScheduleEnabled: { request: () => ({ id: seeded.schedule, enabled: false }), check: (v) => expect(parse(v).enabled).toBe(false) },
  // The real scheduler claims a run and runs it in the plugin's Studio process (disabled schedules run on demand too).
  runScheduleNow: {
    request: () => ({ id: seeded.schedule }),
    check: async (v) => {
      expect(parse(v)).toMatchObject({ scheduleId: seeded.schedule, trigger: 'manual' })
      await until(async () => (await platform.studio.scheduler.runs(PLUGIN, seeded.schedule, {})).items[0]?.status === 'completed', 'the run to complete')
    },
  },
  listScheduleRuns: { request: () => page({ scheduleId: seeded.schedule }), check: (v) => expect(v.items.map(parse)).toMatchObject([{ trigger: 'manual', status: 'completed', output: { ran: true } }]) },
  getPluginInfo: {
    request: () => ({}),
    check: (v) => expect(parse(v)).toMatchObject({ id: seeded.pluginId, name: PLUGIN, version: '1.0.0', enabled: true, scopes: ['plugins.read'], manifest: { id: 'platform-fixture' } }),
  },
  getSystemInfo: { request: () => ({}), check: (v) => expect(parse(v)).toMatchObject({ studioVersion: STUDIO_VERSION, runtime: 'studio', database: 'embedded' }) },
}

/**
 * What a refused call must leave as it was: every table's row count (audit_log included), the KV
 * table's content, the schedules' flags, the LLMs' names, and the requests the mock LLM saw.
 */
async function snapshot(): Promise<Record<string, unknown>> {
  const db = platform.studio.context.db
  const { rows: tables } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`.execute(db)
  const counts: Record<string, unknown> = {}
  for (const { name } of tables) counts[name] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(name)}`.execute(db)).rows[0]!.n)
  counts.kv = (await sql<{ h: string | null }>`select md5(string_agg(namespace || key || encode(value, 'hex'), ',' order by namespace, key)) as h from plugin_kv`.execute(db)).rows[0]!.h
  counts.schedules_enabled = (await sql<{ h: string }>`select string_agg(enabled::text, ',' order by id) as h from schedules`.execute(db)).rows[0]!.h
  counts.llm_names = (await sql<{ h: string }>`select string_agg(name, ',' order by id) as h from llms`.execute(db)).rows[0]!.h
  counts.upstream = upstreamSeen.length
  return counts
}

beforeAll(async () => {
  const llmUrl = await listen((upstream = mockLlm()))
  toolServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"pong":true}'))
  const toolUrl = await listen(toolServer)
  // With the analytics, as `plugboard up` runs: the plugin's completions are recorded as its app's requests.
  test = await startTestPlatform({ analytics: true })
  platform = test.platform
  seeded.llm = await created('/llms', { slug: 'seed-llm', vendor: 'openai', baseUrl: `${llmUrl}/v1`, models: ['m'], apiKey: 'sk-secret-1234' })
  seeded.doomedLlm = await created('/llms', { slug: 'doomed-llm', vendor: 'mock', models: ['m'] })
  seeded.app = await created('/apps', { slug: 'seed-app' })
  seeded.doomedApp = await created('/apps', { slug: 'doomed-app' })
  const spec = { openapi: '3.1.0', info: { title: 'Ping', version: '1' }, paths: { '/ping': { get: { operationId: 'ping', responses: { 200: { description: 'pong' } } } } } }
  seeded.tool = await created('/tools', { slug: 'pinger', spec, baseUrl: toolUrl, auth: { type: 'bearer' }, credential: 'tok-9876' })
  seeded.datasource = await created('/datasources', { slug: 'manuals' })
  await created(`/datasources/${seeded.datasource}/documents`, { name: 'kettle.md', content: 'Descale the kettle monthly.', contentType: 'text/markdown' })
  seeded.user = (await api('GET', '/users')).json.items[0].id

  // The caller: installed through the admin API, granted llms.proxy (the gateway then serves it the
  // app plugin:scoped), configured and enabled, so both its halves run; its manifest's schedule is stored.
  const enabled = await test.installPlugin(PLUGIN, FIXTURE, { scopes: ['llms.proxy'], config: { greeting: 'hello' } })
  expect(enabled.json, JSON.stringify(enabled.json)).toMatchObject({ status: 'running' })
  seeded.pluginId = enabled.json.id
  await until(() => platform.gateway.config.apps.some((app) => app.id === `plugin:${PLUGIN}`), 'the gateway to serve the app plugin:scoped')
  // Another plugin with a schedule of its own, which the caller must never reach.
  await created('/plugins', { source: FIXTURE, name: 'other' })
  const schedules = async (plugin: string) => (await platform.studio.scheduler.list(plugin))[0]?.id
  await until(async () => Boolean(await schedules(PLUGIN)) && Boolean(await schedules('other')), 'both plugins’ schedules to be stored')
  seeded.schedule = (await schedules(PLUGIN))!
  seeded.otherSchedule = (await schedules('other'))!

  await platform.studio.kv.set(PLUGIN, 'k', Buffer.from('v'), 0)
  void (async () => {
    for await (const event of platform.studio.plugins.host.events.subscribe('scoped.>', following.signal)) busEvents.push({ topic: event.topic, source: event.source })
  })().catch(() => undefined)
}, 60_000)

afterAll(async () => {
  following.abort()
  await test?.close()
  for (const server of [upstream, toolServer]) await new Promise((resolve) => server?.close(resolve))
})

const scoped = (Object.entries(SERVICE_API_METHOD_SCOPES) as Array<[ServiceApiMethod, Scope | null]>).filter((entry): entry is [ServiceApiMethod, Scope] => entry[1] !== null)

describe('Service API scopes, generated from the operation table, against the production wiring', () => {
  it('has a case for every method in the table', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(SERVICE_API_METHOD_SCOPES).sort())
  })

  it.each(scoped)('%s without scope %s is refused with SCOPE_DENIED and changes nothing', async (method, scope) => {
    // Every topic granted: the missing scope alone refuses it.
    const connection = await connect(SCOPES.filter((s) => s !== scope), TOPICS)
    try {
      const before = await snapshot()
      const outcome = await invoke(connection.client, method, CASES[method].request())
      expect(outcome).toMatchObject({ ok: false, code: 'SCOPE_DENIED' })
      expect(await snapshot()).toEqual(before)
    } finally {
      await connection.close()
    }
  })

  it('every method succeeds against real data with its scope granted (only that scope)', async () => {
    for (const [method, scope] of Object.entries(SERVICE_API_METHOD_SCOPES) as Array<[ServiceApiMethod, Scope | null]>) {
      const connection = await connect(scope ? [scope] : [], CASES[method].topics)
      try {
        const outcome = await invoke(connection.client, method, CASES[method].request())
        if (CASES[method].answers) {
          expect(outcome, method).toMatchObject({ ok: false, code: CASES[method].answers })
          continue
        }
        expect(outcome, `${method}: ${JSON.stringify(outcome)}`).toMatchObject({ ok: true })
        if (outcome.ok) await CASES[method].check?.(outcome.value)
      } finally {
        await connection.close()
      }
    }
    // Written through Studio's ObjectWriter and Scheduler with the plugin as the actor.
    const audit = await platform.studio.context.db
      .selectFrom('audit_log')
      .select(['actor_type', 'actor_id', 'actor_name', 'action', 'object_type'])
      .where('object_type', 'in', ['llm', 'app', 'schedule'])
      .where('actor_type', '=', 'plugin')
      .orderBy('at')
      .orderBy('id')
      .execute()
    const actor = { actor_type: 'plugin', actor_id: seeded.pluginId, actor_name: PLUGIN }
    expect(audit).toEqual(
      expect.arrayContaining(
        (['create', 'update', 'delete'] as const).flatMap((action) => [
          { ...actor, action, object_type: 'llm' },
          { ...actor, action, object_type: 'app' },
        ]),
      ),
    )
    expect(audit).toEqual(expect.arrayContaining([{ ...actor, action: 'update', object_type: 'schedule' }, { ...actor, action: 'run', object_type: 'schedule' }]))
    // Both completions went through the gateway as the app plugin:scoped, and were recorded as its requests.
    await until(async () => (await platform.studio.context.db.selectFrom('requests').select('streamed').where('app_id', '=', `plugin:${PLUGIN}`).execute()).length === 2, 'the analytics of both completions')
    const requests = await platform.studio.context.db.selectFrom('requests').select(['llm', 'status', 'streamed']).where('app_id', '=', `plugin:${PLUGIN}`).orderBy('streamed').execute()
    expect(requests).toEqual([
      { llm: 'seed-llm', status: 200, streamed: false },
      { llm: 'seed-llm', status: 200, streamed: true },
    ])
  })

  it('reports Studio failures as Service API codes with the Studio code in the message', async () => {
    const connection = await connect([...SCOPES], TOPICS)
    try {
      expect(await invoke(connection.client, 'getLlm', { id: 'no-such-llm' })).toMatchObject({ ok: false, code: 'SERVICE_NOT_FOUND', message: expect.stringContaining('NOT_FOUND') })
      expect(await invoke(connection.client, 'createLlm', { id: '', json: bytes({ slug: 'Bad Slug', vendor: 'mock', models: ['m'] }) })).toMatchObject({
        ok: false,
        code: 'SERVICE_INVALID_REQUEST',
        message: expect.stringContaining('VALIDATION_FAILED'),
      })
      expect(await invoke(connection.client, 'listLlms', page({ slug: 'x' }))).toMatchObject({ ok: false, code: 'SERVICE_INVALID_REQUEST' })
      expect(await invoke(connection.client, 'listLlms', { limit: 1, cursor: '', filterJson: '{not json' })).toMatchObject({ ok: false, code: 'SERVICE_INVALID_REQUEST' })
      expect(await invoke(connection.client, 'runScheduleNow', { id: seeded.otherSchedule })).toMatchObject({ ok: false, code: 'SERVICE_NOT_FOUND' })
      expect(await invoke(connection.client, 'publish', { topic: 'elsewhere.test', payload: Buffer.from('{}'), direction: 0 })).toMatchObject({ ok: false, code: 'TOPIC_DENIED' })
      const unknownLlm = await invoke(connection.client, 'proxyCompletion', { llm: 'no-such-llm', requestJson: bytes({ ...chat, model: 'm' }) })
      // The gateway's own answer travels back as the completion's status and body.
      expect(unknownLlm).toMatchObject({ ok: true, value: { status: 404 } })
      expect(unknownLlm.ok && JSON.parse(unknownLlm.value.responseJson.toString())).toMatchObject({ error: { code: 'LLM_NOT_FOUND' } })
      const first = await invoke(connection.client, 'listLlms', { limit: 1, cursor: '', filterJson: '' })
      expect(first.ok && first.value.nextCursor).toBeTruthy()
      const second = await invoke(connection.client, 'listLlms', { limit: 1, cursor: first.ok ? first.value.nextCursor : '', filterJson: '' })
      expect(second.ok && parse(second.value.items[0]).slug).not.toBe(first.ok && parse(first.value.items[0]).slug)
    } finally {
      await connection.close()
    }
  })
})

describe("Service API: an agent's binding of tools and datasources", () => {
  it('executes and queries only the tools and datasources a bound plugin names (SERVICE_NOT_BOUND), any while it names none', async () => {
    const spec = { openapi: '3.1.0', info: { title: 'Other', version: '1' }, paths: { '/ping': { get: { operationId: 'ping', responses: { 200: { description: 'pong' } } } } } }
    const pinger = (await api('GET', `/tools/${seeded.tool}`)).json
    await created('/tools', { slug: 'unbound-tool', spec, baseUrl: pinger.baseUrl })
    await created('/datasources', { slug: 'unbound-docs' })
    const bind = async (binding: { tools: string[]; datasources: string[] }) => expect((await api('PATCH', `/plugins/${PLUGIN}`, binding)).status).toBe(200)
    const connection = await connect(['tools.execute', 'datasources.query'], TOPICS)
    const execute = (id: string) => invoke(connection.client, 'executeTool', { id, operation: 'ping', argumentsJson: bytes({}) })
    const query = (id: string) => invoke(connection.client, 'queryDatasource', { id, query: 'kettle', limit: 1 })
    try {
      await bind({ tools: ['pinger'], datasources: ['manuals'] })
      expect(await execute('pinger')).toMatchObject({ ok: true })
      expect(await execute(seeded.tool)).toMatchObject({ ok: true })
      expect(await query('manuals')).toMatchObject({ ok: true })
      expect(await execute('unbound-tool')).toMatchObject({ ok: false, code: 'SERVICE_NOT_BOUND', message: expect.stringContaining('tool "unbound-tool" is not in the binding of plugin "scoped" (tools: pinger)') })
      expect(await query('unbound-docs')).toMatchObject({ ok: false, code: 'SERVICE_NOT_BOUND', message: expect.stringContaining('datasource "unbound-docs"') })
      await bind({ tools: [], datasources: [] })
      expect(await execute('unbound-tool')).toMatchObject({ ok: true })
      expect(await query('unbound-docs')).toMatchObject({ ok: true })
    } finally {
      await connection.close()
    }
  })
})

describe('Service API scopes, from a real plugin process', () => {
  // The installed "scoped" fixture calls through the SDK (unary methods on the Service API channel),
  // granted llms.proxy only: each call on the channel is checked as its unary call is.
  const rpc = async (method: string, payload: object = {}) => (await api('POST', `/plugins/${PLUGIN}/rpc/${method}`, payload)).json.result
  it('refuses the methods outside its grant with SCOPE_DENIED and answers the granted ones', async () => {
    expect(await rpc('count')).toMatchObject({ error: 'SCOPE_DENIED', message: expect.stringContaining('kv.readwrite') })
    expect(await rpc('llms')).toMatchObject({ error: 'SCOPE_DENIED', message: expect.stringContaining('llms.read') })
    expect(await rpc('complete', { llm: 'seed-llm' })).toMatchObject({ status: 200 })
  })
})
