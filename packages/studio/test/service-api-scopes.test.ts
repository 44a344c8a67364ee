import { randomUUID } from 'node:crypto'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { credentials, Server, ServerCredentials, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js'
import { serviceApiImplementation } from '@plugboard/host'
import {
  createCoreServiceHandlers,
  fromGrpcError,
  MemoryEventBus,
  SCOPES,
  SERVICE_API_METHOD_SCOPES,
  servicev1,
  STREAM_SERVICE_METHODS,
  unavailableControlPlane,
  type Scope,
  type ServiceApiHandlers,
  type ServiceApiMethod,
} from '@plugboard/proto'
import { sql } from 'kysely'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StudioError, type StudioErrorCode } from '../src/errors.js'
import { PostgresKvStore } from '../src/plugins/kv-store.js'
import type { ObjectWriter, ScheduleOperations, ScheduleRunView, ScheduleView } from '../src/plugins/plugin-runtime.js'
import { createStudioServiceApi } from '../src/plugins/service-api.js'
import { startStudio, type TestStudio } from './helpers.js'

const PLUGIN = 'scoped'
const logger = pino({ level: 'silent' })

let studio: TestStudio
let kv: PostgresKvStore
let toolServer: HttpServer
const seeded = { llm: '', app: '', tool: '', datasource: '', user: '', schedule: '', doomedLlm: '', doomedApp: '' }

/** The admin API's write path, reached over HTTP: what ObjectWriter runs without HTTP in Studio. */
function adminApiWriter(): ObjectWriter {
  const plural = { llm: 'llms', app: 'apps' } as const
  const answer = async (call: Promise<{ status: number; json: any }>) => {
    const { status, json } = await call
    if (status >= 400) throw new StudioError(json.error.code as StudioErrorCode, json.error.message, { details: json.error.details })
    return json
  }
  return {
    create: (type, body) => answer(studio.api('POST', `/api/v1/${plural[type]}`, body)),
    update: (type, id, patch) => answer(studio.api('PATCH', `/api/v1/${plural[type]}/${id}`, patch)),
    delete: async (type, id) => void (await answer(studio.api('DELETE', `/api/v1/${plural[type]}/${id}`))),
  }
}

/** Schedule operations over the schedules tables, scoped by plugin name as the scheduler's are. */
function tableSchedules(): ScheduleOperations {
  const db = () => studio.studio.context.db
  const view = (row: Record<string, any>): ScheduleView => ({
    id: row.id,
    plugin: PLUGIN,
    scheduleId: row.schedule_id,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    timeoutSeconds: row.timeout_seconds,
    enabled: row.enabled,
    retries: row.retries,
    nextRunAt: null,
    lastRun: null,
  })
  const runView = (row: Record<string, any>): ScheduleRunView => ({
    id: row.id,
    scheduleId: row.schedule,
    scheduledAt: new Date(row.scheduled_at).toISOString(),
    attempt: row.attempt,
    trigger: row.trigger,
    status: row.status,
    node: row.node,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    error: null,
    output: null,
  })
  const owned = (plugin: string | undefined) =>
    db().selectFrom('schedules').innerJoin('plugins', 'plugins.id', 'schedules.plugin_id').selectAll('schedules').where('plugins.name', '=', plugin ?? PLUGIN)
  const find = async (plugin: string | undefined, id: string) => {
    const row = await owned(plugin).where('schedules.id', '=', id).executeTakeFirst()
    if (!row) throw new StudioError('NOT_FOUND', `no schedule "${id}"`)
    return row
  }
  return {
    list: async (plugin) => (await owned(plugin).execute()).map(view),
    setEnabled: async (plugin, id, enabled) => {
      await find(plugin, id)
      await db().updateTable('schedules').set({ enabled }).where('id', '=', id).execute()
      return view(await find(plugin, id))
    },
    runNow: async (plugin, id) => {
      await find(plugin, id)
      const row = await db()
        .insertInto('schedule_runs')
        .values({ id: randomUUID(), schedule: id, scheduled_at: new Date(), trigger: 'manual', status: 'pending' })
        .returningAll()
        .executeTakeFirstOrThrow()
      return runView(row)
    },
    runs: async (plugin, id, page) => {
      await find(plugin, id)
      const rows = await db().selectFrom('schedule_runs').selectAll().where('schedule', '=', id).orderBy('scheduled_at', 'desc').limit(page.limit).execute()
      return { items: rows.map(runView), nextCursor: null }
    },
  }
}

function handlers(): ServiceApiHandlers {
  const context = studio.studio.context
  return {
    ...unavailableControlPlane('studio'),
    ...createCoreServiceHandlers({ kv, events: new MemoryEventBus(), log: () => undefined }),
    ...createStudioServiceApi({
      db: context.db,
      masterKey: context.masterKey,
      writer: adminApiWriter(),
      schedules: tableSchedules(),
      plugins: { manifestOf: (name) => (name === PLUGIN ? { id: PLUGIN, name: 'Scoped', version: '1.2.3', permissions: { services: [...SCOPES] } } : undefined) },
      proxy: async (_plugin, llm, body) => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: body.stream ? (async function* () { yield Buffer.from(`data: {"llm":"${llm}"}\n\n`) })() : Buffer.from(JSON.stringify({ llm })),
      }),
      system: { version: '0.1.0', nodeId: 'node-test', database: 'embedded' },
    }),
  }
}

/** A Service API server for one plugin connection with `scopes`, and a gRPC client of it. */
async function connect(scopes: readonly Scope[]): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = new Server()
  server.addService(servicev1.ServiceApiService, serviceApiImplementation(handlers(), { plugin: PLUGIN, scopes: new Set(scopes) }, logger))
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

/** One call over the real connection: its response (a stream's messages), or the error the SDK would rebuild. */
async function invoke(client: Client, method: ServiceApiMethod, request: object): Promise<{ ok: true; value: any } | { ok: false; code: string; message: string }> {
  const callable = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(client)
  try {
    if ((STREAM_SERVICE_METHODS as readonly string[]).includes(method)) {
      const stream = callable(request) as ClientReadableStream<unknown>
      const messages: unknown[] = []
      // A subscription that was admitted stays open: end it once it had time to be refused.
      const ending = method === 'subscribe' ? setTimeout(() => stream.cancel(), 300) : undefined
      try {
        for await (const message of stream) messages.push(message)
      } finally {
        clearTimeout(ending)
      }
      return { ok: true, value: messages }
    }
    const value = await new Promise((resolve, reject) => callable(request, (error: ServiceError | null, response: unknown) => (error ? reject(error) : resolve(response))))
    return { ok: true, value }
  } catch (error) {
    if ((error as ServiceError).code === 1 /* CANCELLED: the subscription we ended */) return { ok: true, value: [] }
    const rebuilt = fromGrpcError(error, 'UNKNOWN')
    return { ok: false, code: rebuilt.code, message: rebuilt.message }
  }
}

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))
const page = (filter?: object) => ({ limit: 10, cursor: '', filterJson: filter ? JSON.stringify(filter) : '' })
const parse = (value: { json: Buffer }) => JSON.parse(value.json.toString())

interface Case {
  request: () => object
  /** What a call with the scope proves; absent: that it succeeded. */
  check?: (value: any) => void | Promise<void>
  /** A method another part of Studio serves (not wired here yet): with the scope it answers this code. */
  answers?: string
}

/** One case per Service API method; a method added to the operation table without one fails below. */
const CASES: Record<ServiceApiMethod, Case> = {
  kvGet: { request: () => ({ key: 'k' }) },
  kvSet: { request: () => ({ key: 'k', value: Buffer.from('v'), ttlMs: 0 }) },
  kvDelete: { request: () => ({ key: 'k' }), check: (v) => expect(v.deleted).toBe(true) },
  kvList: { request: () => ({ prefix: '', limit: 10 }) },
  kvIncrement: { request: () => ({ key: 'n', delta: 2, ttlMs: 0 }), check: (v) => expect(Number(v.value)).toBe(2) },
  kvCompareAndSet: { request: () => ({ key: 'c', expectAbsent: true, expected: Buffer.alloc(0), value: Buffer.from('x'), ttlMs: 0 }), check: (v) => expect(v.swapped).toBe(true) },
  log: { request: () => ({ level: 2, message: 'hello', fieldsJson: Buffer.alloc(0) }) },
  publish: { request: () => ({ topic: 'scoped.test', payload: Buffer.from('{}'), direction: 0 }) },
  subscribe: { request: () => ({ topic: 'scoped.>' }) },
  sendEdgePayload: { request: () => ({ kind: 'usage', payload: Buffer.from('{}') }), answers: 'SERVICE_UNAVAILABLE' },
  listLlms: { request: () => page({ q: 'seed' }), check: (v) => expect(v.items.map((i: any) => parse(i).slug)).toContain('seed-llm') },
  getLlm: { request: () => ({ id: seeded.llm }), check: (v) => expect(parse(v)).not.toHaveProperty('apiKey') },
  createLlm: { request: () => ({ id: '', json: bytes({ slug: 'made-by-plugin', vendor: 'mock', models: ['m'] }) }), check: (v) => expect(parse(v).slug).toBe('made-by-plugin') },
  updateLlm: { request: () => ({ id: seeded.llm, json: bytes({ name: 'Renamed' }) }), check: (v) => expect(parse(v).name).toBe('Renamed') },
  deleteLlm: { request: () => ({ id: seeded.doomedLlm }) },
  proxyCompletion: { request: () => ({ llm: 'seed-llm', requestJson: bytes({ messages: [] }) }), check: (v) => expect(v.status).toBe(200) },
  proxyCompletionStream: { request: () => ({ llm: 'seed-llm', requestJson: bytes({ messages: [] }) }), check: (v) => expect(v[0].status).toBe(200) },
  listApps: { request: () => page(), check: (v) => expect(v.items.length).toBeGreaterThan(0) },
  getApp: { request: () => ({ id: seeded.app }) },
  createApp: { request: () => ({ id: '', json: bytes({ slug: 'app-by-plugin' }) }) },
  updateApp: { request: () => ({ id: seeded.app, json: bytes({ name: 'Renamed app' }) }) },
  deleteApp: { request: () => ({ id: seeded.doomedApp }) },
  listTools: { request: () => page(), check: (v) => expect(v.items).toHaveLength(1) },
  getTool: { request: () => ({ id: seeded.tool }), check: (v) => expect(JSON.stringify(parse(v))).not.toContain('tok-9876') },
  executeTool: { request: () => ({ id: seeded.tool, operation: 'ping', argumentsJson: Buffer.alloc(0) }), check: (v) => expect(parse(v)).toMatchObject({ status: 200, body: { pong: true } }) },
  listDatasources: { request: () => page() },
  getDatasource: { request: () => ({ id: seeded.datasource }), check: (v) => expect(parse(v).documents).toBe(1) },
  queryDatasource: { request: () => ({ id: seeded.datasource, query: 'kettle', limit: 5 }), check: (v) => expect(parse(v).items.length).toBe(1) },
  listUsers: { request: () => page(), check: (v) => expect(JSON.stringify(v.items.map(parse))).not.toContain('password_hash') },
  getUser: { request: () => ({ id: seeded.user }), check: (v) => expect(parse(v)).not.toHaveProperty('passwordHash') },
  getAnalyticsSummary: { request: () => ({ appId: '', fromMs: 0, toMs: 0 }), check: (v) => expect(parse(v).totals.requests).toBe(0) },
  listSchedules: { request: () => page(), check: (v) => expect(v.items).toHaveLength(1) },
  setScheduleEnabled: { request: () => ({ id: seeded.schedule, enabled: false }), check: (v) => expect(parse(v).enabled).toBe(false) },
  runScheduleNow: { request: () => ({ id: seeded.schedule }), check: (v) => expect(parse(v).trigger).toBe('manual') },
  listScheduleRuns: { request: () => page({ scheduleId: seeded.schedule }) },
  getPluginInfo: { request: () => ({}), check: (v) => expect(parse(v)).toMatchObject({ name: PLUGIN, version: '1.2.3' }) },
  getSystemInfo: { request: () => ({}), check: (v) => expect(parse(v)).toMatchObject({ studioVersion: '0.1.0', nodeId: 'node-test' }) },
}

/** Every table's row count and the KV table's content: what a refused call must leave as it was. */
async function snapshot(): Promise<Record<string, unknown>> {
  const db = studio.studio.context.db
  const { rows: tables } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`.execute(db)
  const counts: Record<string, unknown> = {}
  for (const { name } of tables) counts[name] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(name)}`.execute(db)).rows[0]!.n)
  counts.kv = (await sql<{ h: string | null }>`select md5(string_agg(namespace || key || encode(value, 'hex'), ',' order by namespace, key)) as h from plugin_kv`.execute(db)).rows[0]!.h
  counts.schedules_enabled = (await sql<{ h: string }>`select string_agg(enabled::text, ',' order by id) as h from schedules`.execute(db)).rows[0]!.h
  counts.llm_names = (await sql<{ h: string }>`select string_agg(name, ',' order by id) as h from llms`.execute(db)).rows[0]!.h
  return counts
}

beforeAll(async () => {
  studio = await startStudio('pglite')
  kv = new PostgresKvStore({ db: studio.studio.context.db, logger })
  toolServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"pong":true}'))
  await new Promise<void>((resolve) => toolServer.listen(0, '127.0.0.1', resolve))
  const toolUrl = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}`
  const created = async (path: string, body: object) => {
    const { status, json } = await studio.api('POST', path, body)
    expect(status, JSON.stringify(json)).toBe(201)
    return json.id as string
  }
  seeded.llm = await created('/api/v1/llms', { slug: 'seed-llm', vendor: 'mock', models: ['m'], apiKey: 'sk-secret-1234' })
  seeded.doomedLlm = await created('/api/v1/llms', { slug: 'doomed-llm', vendor: 'mock', models: ['m'] })
  seeded.app = await created('/api/v1/apps', { slug: 'seed-app' })
  seeded.doomedApp = await created('/api/v1/apps', { slug: 'doomed-app' })
  const spec = { openapi: '3.1.0', info: { title: 'Ping', version: '1' }, paths: { '/ping': { get: { operationId: 'ping', responses: { 200: { description: 'pong' } } } } } }
  seeded.tool = await created('/api/v1/tools', { slug: 'pinger', spec, baseUrl: toolUrl, auth: { type: 'bearer' }, credential: 'tok-9876' })
  seeded.datasource = await created('/api/v1/datasources', { slug: 'manuals' })
  await created(`/api/v1/datasources/${seeded.datasource}/documents`, { name: 'kettle.md', content: 'Descale the kettle monthly.', contentType: 'text/markdown' })
  seeded.user = (await studio.api('GET', '/api/v1/users')).json.items[0].id
  const db = studio.studio.context.db
  const pluginId = randomUUID()
  await db.insertInto('plugins').values({ id: pluginId, name: PLUGIN, spec: JSON.stringify({ source: 'file:///nowhere' }) } as never).execute()
  seeded.schedule = randomUUID()
  await db.insertInto('schedules').values({ id: seeded.schedule, plugin_id: pluginId, schedule_id: 'tick', name: 'Tick', cron: '* * * * *' } as never).execute()
  // Another plugin's schedule, which the caller must never see.
  const otherId = randomUUID()
  await db.insertInto('plugins').values({ id: otherId, name: 'other', spec: JSON.stringify({ source: 'file:///nowhere' }) } as never).execute()
  await db.insertInto('schedules').values({ id: randomUUID(), plugin_id: otherId, schedule_id: 'tick', name: 'Other tick', cron: '* * * * *' } as never).execute()
  // What the KV cases read, delete and compare.
  await kv.set(PLUGIN, 'k', Buffer.from('v'), 0)
}, 120_000)

afterAll(async () => {
  await kv?.stop()
  await new Promise<void>((resolve) => (toolServer ? toolServer.close(() => resolve()) : resolve()))
  await studio?.close()
})

const scoped = (Object.entries(SERVICE_API_METHOD_SCOPES) as Array<[ServiceApiMethod, Scope | null]>).filter((entry): entry is [ServiceApiMethod, Scope] => entry[1] !== null)

describe('Service API scopes, generated from the operation table', () => {
  it('has a case for every method in the table', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(SERVICE_API_METHOD_SCOPES).sort())
  })

  it.each(scoped)('%s without scope %s is refused with SCOPE_DENIED and changes nothing', async (method, scope) => {
    const connection = await connect(SCOPES.filter((s) => s !== scope))
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
      const connection = await connect(scope ? [scope] : [])
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
    const audit = await studio.studio.context.db.selectFrom('audit_log').select(['actor_type', 'action', 'object_type']).where('object_type', 'in', ['llm', 'app']).execute()
    // Through the admin API writer here, the lead's ObjectWriter records the plugin as actor.
    expect(audit.filter((a) => a.action === 'delete')).toHaveLength(2)
  })

  it('reports Studio failures as Service API codes with the Studio code in the message', async () => {
    const connection = await connect([...SCOPES])
    try {
      expect(await invoke(connection.client, 'getLlm', { id: 'no-such-llm' })).toMatchObject({ ok: false, code: 'SERVICE_NOT_FOUND', message: expect.stringContaining('NOT_FOUND') })
      expect(await invoke(connection.client, 'createLlm', { id: '', json: bytes({ slug: 'Bad Slug', vendor: 'mock', models: ['m'] }) })).toMatchObject({
        ok: false,
        code: 'SERVICE_INVALID_REQUEST',
        message: expect.stringContaining('VALIDATION_FAILED'),
      })
      expect(await invoke(connection.client, 'listLlms', page({ slug: 'x' }))).toMatchObject({ ok: false, code: 'SERVICE_INVALID_REQUEST' })
      expect(await invoke(connection.client, 'listLlms', { limit: 1, cursor: '', filterJson: '{not json' })).toMatchObject({ ok: false, code: 'SERVICE_INVALID_REQUEST' })
      const other = (await studio.studio.context.db.selectFrom('schedules').select('id').where('name', '=', 'Other tick').executeTakeFirstOrThrow()).id
      expect(await invoke(connection.client, 'runScheduleNow', { id: other })).toMatchObject({ ok: false, code: 'SERVICE_NOT_FOUND' })
      const first = await invoke(connection.client, 'listLlms', { limit: 1, cursor: '', filterJson: '' })
      expect(first.ok && first.value.nextCursor).toBeTruthy()
      const second = await invoke(connection.client, 'listLlms', { limit: 1, cursor: first.ok ? first.value.nextCursor : '', filterJson: '' })
      expect(second.ok && parse(second.value.items[0]).slug).not.toBe(first.ok && parse(first.value.items[0]).slug)
    } finally {
      await connection.close()
    }
  })
})
