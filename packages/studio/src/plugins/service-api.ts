import {
  isPlugboardError,
  PlugboardError,
  SERVICE_API_ERRORS,
  type ControlPlaneMethod,
  type ServiceApiErrorCode,
  type ServiceApiHandlers,
  type ServiceCaller,
} from '@plugboard/proto'
import type { SelectQueryBuilder } from 'kysely'
import type { MasterKey } from '../accounts/master-key.js'
import { latencyBy, usageBy } from '../analytics/analytics-queries.js'
import { containsText, listPage } from '../api/list.js'
import { findRow, SLUG_NAMED_SORTS } from '../api/resource.js'
import type { Actor } from '../api/writes.js'
import { MAX_QUERY_CHARS, MAX_QUERY_LIMIT, queryDatasource } from '../datasources/search.js'
import type { StudioDb } from '../db/database.js'
import type { StudioSchema } from '../db/schema.js'
import { StudioError, type StudioErrorCode } from '../errors.js'
import { presentApps } from '../resources/apps.js'
import { presentDatasources } from '../resources/datasources.js'
import { presentLlm } from '../resources/llms.js'
import { presentTool } from '../resources/tools.js'
import { presentUser } from '../resources/users.js'
import { DEFAULT_TOOL_TIMEOUT_MS, executeOperation, toolFromRow, type ToolCallInput } from '../tools/tool-call.js'
import type { ObjectWriter, PluginDirectory, ScheduleOperations, StudioPluginSpec } from './plugin-runtime.js'

/** What a completion sent through the gateway pipeline answers: its status and headers, then its body (whole, or streamed as sent). */
export interface ProxiedCompletion {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Buffer> | Buffer
}

/**
 * Sends an OpenAI chat completion request for LLM `llm` (slug) through the
 * gateway pipeline as plugin `plugin` (its hooks, budgets and analytics as for
 * any app), cancelled by `signal`.
 */
export type CompletionProxy = (plugin: string, llm: string, body: Record<string, unknown>, signal: AbortSignal) => Promise<ProxiedCompletion>

/** What the Studio Service API reads and writes through. */
export interface StudioServiceApiDeps {
  db: StudioDb
  masterKey: MasterKey
  /** The admin API's write path (validation, object hooks, audit, change feed). */
  writer: ObjectWriter
  schedules: ScheduleOperations
  /** The installed plugins: a caller's manifest for getPluginInfo. */
  plugins: Pick<PluginDirectory, 'manifestOf'>
  proxy: CompletionProxy
  /** For getSystemInfo: Studio's version and this process's node id. */
  system: { version: string; nodeId: string; database: 'embedded' | 'postgres' }
}

/** The most items one list call answers. */
export const MAX_SERVICE_LIST = 100
const DEFAULT_SERVICE_LIST = 50

/** Studio codes the Service API reports under its own; the Studio code stays in the message. */
const STUDIO_TO_SERVICE: Partial<Record<StudioErrorCode | 'OBJECT_HOOK_REJECTED' | 'OBJECT_HOOK_FAILED', ServiceApiErrorCode>> = {
  NOT_FOUND: 'SERVICE_NOT_FOUND',
  TOOL_OPERATION_NOT_FOUND: 'SERVICE_NOT_FOUND',
  INVALID_JSON: 'SERVICE_INVALID_REQUEST',
  VALIDATION_FAILED: 'SERVICE_INVALID_REQUEST',
  REFERENCE_NOT_FOUND: 'SERVICE_INVALID_REQUEST',
  ALREADY_EXISTS: 'SERVICE_INVALID_REQUEST',
  IN_USE: 'SERVICE_INVALID_REQUEST',
  LAST_ADMIN: 'SERVICE_INVALID_REQUEST',
  VERSION_MISMATCH: 'SERVICE_INVALID_REQUEST',
  TOOL_SPEC_INVALID: 'SERVICE_INVALID_REQUEST',
  OBJECT_HOOK_REJECTED: 'SERVICE_INVALID_REQUEST',
  DATABASE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  TOOL_CALL_FAILED: 'SERVICE_UNAVAILABLE',
  OBJECT_HOOK_FAILED: 'SERVICE_UNAVAILABLE',
}

/**
 * A Studio failure as the Service API reports it: a Service API code a plugin
 * can act on (NOT_FOUND → SERVICE_NOT_FOUND, VALIDATION_FAILED and a hook's
 * refusal → SERVICE_INVALID_REQUEST, …), its message led by the Studio code
 * and followed by the fields at fault. Service API errors pass unchanged;
 * anything else is kept (it travels as INTERNAL).
 */
export function toServiceError(error: unknown): unknown {
  if (!isPlugboardError(error) || Object.hasOwn(SERVICE_API_ERRORS, error.code)) return error
  const code = STUDIO_TO_SERVICE[error.code as keyof typeof STUDIO_TO_SERVICE]
  if (!code) return error
  const details = error instanceof StudioError && error.details?.length ? ` (${error.details.map((d) => `${d.path}: ${d.message}`).join('; ')})` : ''
  return new PlugboardError<ServiceApiErrorCode>(code, `${error.code}: ${error.message}${details}`, { cause: error })
}

const invalid = (message: string) => new PlugboardError<ServiceApiErrorCode>('SERVICE_INVALID_REQUEST', message)

/** A JSON object from request bytes; SERVICE_INVALID_REQUEST for anything else. `empty` is what no bytes mean. */
function jsonObject(bytes: Buffer, what: string, empty?: Record<string, unknown>): Record<string, unknown> {
  if (bytes.length === 0 && empty) return empty
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw invalid(`${what} is not JSON: ${(error as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(`${what} must be a JSON object`)
  return parsed as Record<string, unknown>
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const asObject = (value: unknown) => ({ id: String((value as { id?: unknown }).id ?? ''), json: json(value) })

type ListedTable = 'llms' | 'apps' | 'tools' | 'datasources' | 'users'
type Filter = { column: string; type: 'string' | 'boolean' }

/** What a list call of one object type may filter on (`filter_json`), sort by, and how its rows are shown (secret-free, as the admin API shows them). */
interface Listing<T extends ListedTable> {
  table: T
  label: string
  sortable: Record<string, string>
  defaultSort: string
  filters: Record<string, Filter>
  /** Columns `q` searches. */
  text: string[]
  present: (rows: never[], db: StudioDb) => Promise<unknown[]> | unknown[]
}

const LISTINGS = {
  llms: { table: 'llms', label: 'LLM', ...SLUG_NAMED_SORTS, filters: { vendor: { column: 'vendor', type: 'string' }, enabled: { column: 'enabled', type: 'boolean' } }, text: ['slug', 'name'], present: (rows: never[]) => rows.map(presentLlm) },
  apps: { table: 'apps', label: 'app', ...SLUG_NAMED_SORTS, filters: { ownerId: { column: 'owner_id', type: 'string' }, enabled: { column: 'enabled', type: 'boolean' } }, text: ['slug', 'name'], present: presentApps },
  tools: { table: 'tools', label: 'tool', ...SLUG_NAMED_SORTS, filters: {}, text: ['slug', 'name'], present: (rows: never[]) => rows.map(presentTool) },
  datasources: { table: 'datasources', label: 'datasource', ...SLUG_NAMED_SORTS, filters: {}, text: ['slug', 'name'], present: presentDatasources },
  users: {
    table: 'users',
    label: 'user',
    sortable: { email: 'email', name: 'name', createdAt: 'created_at' },
    defaultSort: 'email',
    filters: { role: { column: 'role', type: 'string' }, disabled: { column: 'disabled', type: 'boolean' } },
    text: ['email', 'name'],
    present: (rows: never[]) => rows.map(presentUser),
  },
} satisfies { [T in ListedTable]: Listing<T> }

/** The page size of a list request: its limit, at most MAX_SERVICE_LIST. */
const pageSize = (limit: number) => (limit > 0 ? Math.min(limit, MAX_SERVICE_LIST) : DEFAULT_SERVICE_LIST)

/**
 * The Service API's control-plane methods against Studio's data: reads
 * through the admin API's queries and presenters (no secrets: key hints, no
 * password hashes), writes through its write path with the plugin as actor,
 * schedules scoped to the caller's own, and completions through the gateway
 * pipeline as the plugin. Every failure is reported through
 * {@link toServiceError}. Scopes are checked before these run (the host's
 * `serviceApiImplementation`), from the connection.
 */
export function createStudioServiceApi(deps: StudioServiceApiDeps): Partial<Pick<ServiceApiHandlers, ControlPlaneMethod>> {
  const { db } = deps
  const startedAt = Date.now()

  const actorOf = async (caller: ServiceCaller): Promise<Actor> => {
    const installed = await db.selectFrom('plugins').select('id').where('name', '=', caller.plugin).executeTakeFirst()
    return { type: 'plugin', id: installed?.id ?? null, name: caller.plugin }
  }

  /** SERVICE_NOT_BOUND when the caller's binding names some tools (datasources) and not this one; an empty binding allows all. */
  const checkBound = async (caller: ServiceCaller, field: 'tools' | 'datasources', slug: string) => {
    const installed = await db.selectFrom('plugins').select('spec').where('name', '=', caller.plugin).executeTakeFirst()
    const bound = ((installed?.spec ?? {}) as StudioPluginSpec)[field] ?? []
    if (bound.length > 0 && !bound.includes(slug)) {
      throw new PlugboardError<ServiceApiErrorCode>('SERVICE_NOT_BOUND', `${field === 'tools' ? 'tool' : 'datasource'} "${slug}" is not in the binding of plugin "${caller.plugin}" (${field}: ${bound.join(', ')}); an admin adds it on the plugin`)
    }
  }

  const list = async <T extends ListedTable>(listing: Listing<T>, request: { limit: number; cursor: string; filterJson: string }) => {
    const filter = jsonObject(Buffer.from(request.filterJson), 'filter_json', {})
    let query = db.selectFrom(listing.table as 'llms').selectAll() as unknown as SelectQueryBuilder<StudioSchema, ListedTable, Record<string, unknown>>
    let sort: string | undefined
    for (const [name, value] of Object.entries(filter)) {
      if (name === 'sort' && typeof value === 'string') sort = value
      else if (name === 'q' && typeof value === 'string') query = query.where(containsText(listing.text, value))
      else if (Object.hasOwn(listing.filters, name) && typeof value === listing.filters[name]!.type) query = query.where(listing.filters[name]!.column as 'id', '=', value as string)
      else {
        const known = ['q', 'sort', ...Object.keys(listing.filters)].join(', ')
        throw invalid(`filter_json: "${name}" is not a filter of ${listing.label}s or has the wrong type (filters: ${known})`)
      }
    }
    const page = await listPage(query, { sortable: listing.sortable, defaultSort: listing.defaultSort, idColumn: 'id', query: { limit: pageSize(request.limit), cursor: request.cursor || undefined, sort } })
    const items = await listing.present(page.items as never[], db)
    return { items: items.map(asObject), nextCursor: page.nextCursor ?? '' }
  }

  const get = async <T extends ListedTable>(listing: Listing<T>, id: string) => {
    const row = await findRow(db, listing.table, id, listing.label)
    return asObject((await listing.present([row as never], db))[0])
  }

  const collect = async (body: AsyncIterable<Buffer> | Buffer) => {
    if (Buffer.isBuffer(body)) return body
    const chunks: Buffer[] = []
    for await (const chunk of body) chunks.push(chunk)
    return Buffer.concat(chunks)
  }

  const completionBody = (request: { llm: string; requestJson: Buffer }, stream: boolean) => {
    if (!request.llm) throw invalid('ProxyCompletion needs the slug of an LLM')
    return { ...jsonObject(request.requestJson, 'request_json'), stream }
  }

  const handlers: Partial<Pick<ServiceApiHandlers, ControlPlaneMethod>> = {
    listLlms: (request) => list(LISTINGS.llms, request),
    getLlm: (request) => get(LISTINGS.llms, request.id),
    createLlm: async (request, caller) => asObject(await deps.writer.create('llm', jsonObject(request.json, 'the LLM'), await actorOf(caller))),
    updateLlm: async (request, caller) => asObject(await deps.writer.update('llm', request.id, jsonObject(request.json, 'the LLM patch'), await actorOf(caller))),
    deleteLlm: async (request, caller) => {
      await deps.writer.delete('llm', request.id, await actorOf(caller))
      return {}
    },
    listApps: (request) => list(LISTINGS.apps, request),
    getApp: (request) => get(LISTINGS.apps, request.id),
    createApp: async (request, caller) => asObject(await deps.writer.create('app', jsonObject(request.json, 'the app'), await actorOf(caller))),
    updateApp: async (request, caller) => asObject(await deps.writer.update('app', request.id, jsonObject(request.json, 'the app patch'), await actorOf(caller))),
    deleteApp: async (request, caller) => {
      await deps.writer.delete('app', request.id, await actorOf(caller))
      return {}
    },
    listTools: (request) => list(LISTINGS.tools, request),
    getTool: (request) => get(LISTINGS.tools, request.id),
    executeTool: async (request, caller, signal) => {
      const input = jsonObject(request.argumentsJson, 'arguments_json', {}) as ToolCallInput
      if (input.parameters !== undefined && (typeof input.parameters !== 'object' || input.parameters === null)) throw invalid('arguments_json.parameters must be an object of path, query and header')
      const timeoutMs = input.timeoutMs === undefined ? DEFAULT_TOOL_TIMEOUT_MS : input.timeoutMs
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > DEFAULT_TOOL_TIMEOUT_MS) throw invalid(`arguments_json.timeoutMs must be an integer from 1 to ${DEFAULT_TOOL_TIMEOUT_MS}`)
      const row = await findRow(db, 'tools', request.id, 'tool')
      await checkBound(caller, 'tools', row.slug)
      const tool = toolFromRow(row, deps.masterKey)
      return { json: json(await executeOperation(tool, request.operation, { ...input, timeoutMs }, signal)) }
    },
    listDatasources: (request) => list(LISTINGS.datasources, request),
    getDatasource: (request) => get(LISTINGS.datasources, request.id),
    queryDatasource: async (request, caller) => {
      if (!request.query || request.query.length > MAX_QUERY_CHARS) throw invalid(`a datasource query must be 1 to ${MAX_QUERY_CHARS} characters`)
      const datasource = await findRow(db, 'datasources', request.id, 'datasource')
      await checkBound(caller, 'datasources', datasource.slug)
      const limit = request.limit > 0 ? Math.min(request.limit, MAX_QUERY_LIMIT) : 10
      return { json: json({ items: await queryDatasource(db, datasource.id, request.query, limit) }) }
    },
    listUsers: (request) => list(LISTINGS.users, request),
    getUser: (request) => get(LISTINGS.users, request.id),
    getAnalyticsSummary: async (request) => {
      const to = request.toMs > 0 ? new Date(request.toMs) : new Date()
      const from = request.fromMs > 0 ? new Date(request.fromMs) : new Date(to.getTime() - 30 * 86_400_000)
      if (!(from < to)) throw invalid('from_ms must be before to_ms')
      const filter = { from, to, app: request.appId || undefined }
      const [byLlm, [latency]] = await Promise.all([usageBy(db, filter, 'llm'), latencyBy(db, filter, 'none')])
      const totals = byLlm.reduce(
        (sum, row) => ({
          requests: sum.requests + row.requests,
          promptTokens: sum.promptTokens + row.promptTokens,
          completionTokens: sum.completionTokens + row.completionTokens,
          costUsd: sum.costUsd + row.costUsd,
          errors: sum.errors + row.errors,
        }),
        { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 0 },
      )
      return { json: json({ from: from.toISOString(), to: to.toISOString(), app: filter.app ?? null, totals, byLlm, latencyMs: latency ? { p50: latency.p50, p90: latency.p90, p99: latency.p99 } : null }) }
    },
    listSchedules: async (request, caller) => {
      const items = await deps.schedules.list(caller.plugin)
      return { items: items.slice(0, pageSize(request.limit)).map(asObject), nextCursor: '' }
    },
    setScheduleEnabled: async (request, caller) => asObject(await deps.schedules.setEnabled(caller.plugin, request.id, request.enabled)),
    runScheduleNow: async (request, caller) => asObject(await deps.schedules.runNow(caller.plugin, request.id)),
    listScheduleRuns: async (request, caller) => {
      const { scheduleId } = jsonObject(Buffer.from(request.filterJson), 'filter_json', {})
      if (typeof scheduleId !== 'string' || !scheduleId) throw invalid('ListScheduleRuns needs filter_json {"scheduleId": "..."}')
      const page = await deps.schedules.runs(caller.plugin, scheduleId, { limit: pageSize(request.limit), ...(request.cursor && { cursor: request.cursor }) })
      return { items: page.items.map(asObject), nextCursor: page.nextCursor ?? '' }
    },
    getPluginInfo: async (_request, caller) => {
      const manifest = deps.plugins.manifestOf(caller.plugin)
      const installed = await db.selectFrom('plugins').select(['id', 'enabled']).where('name', '=', caller.plugin).executeTakeFirst()
      return {
        json: json({
          id: installed?.id ?? null,
          name: caller.plugin,
          version: manifest?.version ?? null,
          enabled: installed?.enabled ?? null,
          scopes: [...caller.scopes].sort(),
          manifest: manifest ? { id: manifest.id, name: manifest.name, version: manifest.version, description: manifest.description ?? '', runtimes: manifest.runtimes ?? [], capabilities: manifest.capabilities ?? [], requestedScopes: manifest.permissions?.services ?? [] } : null,
        }),
      }
    },
    getSystemInfo: async () => ({
      json: json({
        studioVersion: deps.system.version,
        nodeId: deps.system.nodeId,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        runtime: 'studio',
        database: deps.system.database,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      }),
    }),
    proxyCompletion: async (request, caller, signal) => {
      const answer = await deps.proxy(caller.plugin, request.llm, completionBody(request, false), signal)
      return { status: answer.status, responseJson: await collect(answer.body) }
    },
    async *proxyCompletionStream(request, caller, signal) {
      const answer = await deps.proxy(caller.plugin, request.llm, completionBody(request, true), signal)
      yield { status: answer.status, data: Buffer.alloc(0) }
      if (Buffer.isBuffer(answer.body)) yield { status: 0, data: answer.body }
      else for await (const data of answer.body) yield { status: 0, data }
    },
  }
  return withServiceErrors(handlers)
}

/** Each handler with its failures reported through {@link toServiceError}. */
function withServiceErrors<H extends Partial<Record<string, (...args: never[]) => unknown>>>(handlers: H): H {
  const wrapped: Record<string, unknown> = {}
  for (const [method, handler] of Object.entries(handlers) as Array<[string, (...args: unknown[]) => unknown]>) {
    wrapped[method] =
      handler.constructor.name === 'AsyncGeneratorFunction'
        ? async function* (...args: unknown[]) {
            try {
              yield* handler(...args) as AsyncIterable<unknown>
            } catch (error) {
              throw toServiceError(error)
            }
          }
        : async (...args: unknown[]) => {
            try {
              return await handler(...args)
            } catch (error) {
              throw toServiceError(error)
            }
          }
  }
  return wrapped as H
}
