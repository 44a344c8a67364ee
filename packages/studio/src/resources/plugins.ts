import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { isPlugboardError, patternWithin, SCOPES, topicProblem, type Scope } from '@plugboard/proto'
import { parsePluginSource, validateConfig, type ManagedPlugin, type PluginManifest } from '@plugboard/host'
import { HOOK_NAMES } from '@plugboard/gateway'
import { actorOf, principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuerySchema, Page, containsText } from '../api/list.js'
import { errorResponses, etag, IdParams, Slug, TextQuery, Timestamps, timestamps } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { lockVersioned, parseIfMatch, type Trx } from '../api/writes.js'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import { StudioError, notFound, type ErrorDetail } from '../errors.js'
import { declarationsOf, newlyRequested, runsIn, type PluginDeclarations } from '../plugins/plugin-declarations.js'
import { callPluginRpc, MAX_RPC_BYTES, RpcMethod } from '../plugins/plugin-rpc.js'
import { HOOKED_OBJECT_TYPES, type HookedObjectType, type StudioPluginSpec } from '../plugins/plugin-runtime.js'
import type { StudioPlugins } from '../plugins/studio-plugins.js'

const ScopeName = Type.Union(SCOPES.map((scope) => Type.Literal(scope)))
const ObjectTypeName = Type.Union(HOOKED_OBJECT_TYPES.map((type) => Type.Literal(type)))
const HookName = Type.Union(HOOK_NAMES.map((hook) => Type.Literal(hook)))
const TopicPattern = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.>*-]+$', errorMessage: 'must be letters, digits, _ . - and the wildcards * and >' })
const Topics = Type.Object({ publish: Type.Array(TopicPattern, { maxItems: 50 }), subscribe: Type.Array(TopicPattern, { maxItems: 50 }) })
const Source = Type.String({ minLength: 1, maxLength: 2048, description: 'file:///path (a package directory, .js/.mjs file or executable) or grpc://host:port' })
const Status = Type.Union([Type.Literal('running'), Type.Literal('starting'), Type.Literal('restarting'), Type.Literal('failed'), Type.Literal('disabled'), Type.Literal('scopes_pending')], {
  description: 'failed: a half did not start or crashed too often; scopes_pending: a newer version asks for scopes not granted yet (it runs with the old grant).',
})

const Binding = {
  hooks: Type.Optional(Type.Array(HookName, { uniqueItems: true, description: 'Gateway hooks to bind; default: every hook the plugin declares.' })),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000, description: 'Lower runs first, in every chain and among object hooks.' })),
  failurePolicy: Type.Optional(Type.Union([Type.Literal('fail-open'), Type.Literal('fail-closed')])),
  deadlineMs: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 60_000 }), Type.Null()], { description: 'Each hook call’s deadline; null: back to the default.' })),
  apps: Type.Optional(Type.Array(Slug, { maxItems: 500, uniqueItems: true, description: 'Runs only for these apps (slugs); empty: every app.' })),
  llms: Type.Optional(Type.Array(Slug, { maxItems: 500, uniqueItems: true, description: 'Runs only for requests to these LLMs (slugs); empty: every LLM. An agent is given these LLMs with each message.' })),
  tools: Type.Optional(Type.Array(Slug, { maxItems: 500, uniqueItems: true, description: 'An agent is given these tools (slugs) with each message.' })),
  datasources: Type.Optional(Type.Array(Slug, { maxItems: 500, uniqueItems: true, description: 'An agent is given these datasources (slugs) with each message.' })),
  chatGroups: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500, uniqueItems: true, description: 'An agent is offered in chat only to members of these groups (names) and to admins; empty: to every signed-in user.' }),
  ),
}

export const Plugin = Type.Object({
  id: Type.String(),
  name: Type.String(),
  source: Type.String(),
  enabled: Type.Boolean(),
  status: Status,
  manifest: Type.Union([
    Type.Object({
      id: Type.Union([Type.String(), Type.Null()]),
      name: Type.Union([Type.String(), Type.Null()]),
      version: Type.Union([Type.String(), Type.Null()]),
      description: Type.Union([Type.String(), Type.Null()]),
      capabilities: Type.Array(Type.String()),
      schedules: Type.Array(Type.Unknown()),
    }),
    Type.Null(),
  ]),
  runtimes: Type.Array(Type.Union([Type.Literal('gateway'), Type.Literal('studio')]), { description: 'Where it runs a process: its gateway half, its Studio half, or both (one executable).' }),
  requested: Type.Object({ scopes: Type.Array(Type.String()), topics: Topics, objectHooks: Type.Array(Type.String()) }),
  granted: Type.Object({ scopes: Type.Array(Type.String()), topics: Topics, objectHooks: Type.Array(Type.String()) }),
  pendingScopes: Type.Array(Type.String()),
  config: Type.Unknown(),
  configSchema: Type.Unknown(),
  binding: Type.Object({
    hooks: Type.Union([Type.Array(Type.String()), Type.Null()]),
    priority: Type.Integer(),
    failurePolicy: Type.String(),
    deadlineMs: Type.Union([Type.Integer(), Type.Null()]),
    apps: Type.Array(Type.String()),
    llms: Type.Array(Type.String()),
    tools: Type.Array(Type.String()),
    datasources: Type.Array(Type.String()),
    chatGroups: Type.Array(Type.String()),
  }),
  revision: Type.Integer({ description: 'Goes up with each reload.' }),
  ...Timestamps,
})

const Install = Type.Object(
  { source: Source, name: Type.Optional(Slug) },
  { additionalProperties: false },
)

const Update = Type.Object(
  {
    config: Type.Optional(Type.Unknown({ description: "Checked against the plugin's config schema before it is saved or sent." })),
    scopes: Type.Optional(Type.Array(ScopeName, { uniqueItems: true, description: 'The whole grant; each must be requested by the manifest.' })),
    topics: Type.Optional(Type.Object({ publish: Type.Optional(Type.Array(TopicPattern, { maxItems: 50 })), subscribe: Type.Optional(Type.Array(TopicPattern, { maxItems: 50 })) }, { additionalProperties: false })),
    objectHooks: Type.Optional(Type.Array(ObjectTypeName, { uniqueItems: true, description: 'Object types whose hooks may run.' })),
    enabled: Type.Optional(Type.Boolean()),
    serviceApiRateLimit: Type.Optional(
      Type.Object(
        { callsPerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }), burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_000_000 })) },
        { additionalProperties: false, description: 'Service API calls per second (a token bucket); default 20,000/s, burst 40,000; more fail with SERVICE_RATE_LIMITED.' },
      ),
    ),
    ...Binding,
  },
  { additionalProperties: false, minProperties: 1 },
)

const ScopeBody = Type.Object({ scope: ScopeName }, { additionalProperties: false })
const ScopeParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }), scope: Type.String({ minLength: 1, maxLength: 64 }) })
const ReloadBody = Type.Object({ config: Type.Optional(Type.Unknown({ description: 'A config for the new version, when its schema changed.' })) }, { additionalProperties: false })

const HalfStatus = Type.Object({
  state: Type.String(),
  pid: Type.Union([Type.Integer(), Type.Null()]),
  restarts: Type.Integer(),
  generation: Type.Integer(),
  version: Type.Union([Type.String(), Type.Null()]),
})
const PluginStatus = Type.Object({
  status: Status,
  runtimes: Type.Object({ studio: Type.Optional(Type.Union([HalfStatus, Type.Null()])), gateway: Type.Optional(Type.Union([HalfStatus, Type.Null()])) }),
  pendingScopes: Type.Array(Type.String()),
  objectHooks: Type.Object(
    { failedOpen: Type.Integer(), afterFailed: Type.Integer(), afterDropped: Type.Integer() },
    { description: 'Since Studio started: before-hooks that failed on a fail-open binding (the write went ahead), after-hooks that failed or were dropped.' },
  ),
  lastErrors: Type.Array(Type.Object({ at: Type.String(), runtime: Type.String(), code: Type.String(), message: Type.String() })),
})
const RpcParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }), method: RpcMethod })
const LogLine = Type.Object({ at: Type.String(), runtime: Type.String(), level: Type.String(), message: Type.String(), fields: Type.Record(Type.String(), Type.Unknown()) })
const LogQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 100 })) })

export type PluginItem = Static<typeof Plugin>
export type PluginInstallBody = Static<typeof Install>
export type PluginUpdateBody = Static<typeof Update>
export type PluginStatusItem = Static<typeof PluginStatus>
export type PluginLogLine = Static<typeof LogLine>

async function findPlugin(db: StudioDb | Trx, idOrName: string): Promise<Row<'plugins'>> {
  const row = await (db as StudioDb)
    .selectFrom('plugins')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst()
  if (!row) throw notFound('plugin', idOrName)
  return row
}

const specOf = (row: Pick<Row<'plugins'>, 'spec'>) => row.spec as StudioPluginSpec
const grantedTopics = (spec: StudioPluginSpec) => ({ publish: spec.topics?.publish ?? [], subscribe: spec.topics?.subscribe ?? [] })

/** A refused grant: the manifest does not ask for it. */
const notRequested = (what: string, path: string, requested: readonly string[]) =>
  new StudioError('GRANT_NOT_REQUESTED', `${what} is not requested by the plugin's manifest (it asks for: ${requested.join(', ') || 'nothing'}); grant only what it asks for`, {
    details: [{ path, message: 'is not requested by the manifest' }],
  })

/**
 * Checks what an admin grants against what the manifest asks for: each scope,
 * each topic pattern (within a requested one), each object type.
 */
function checkGrants(declared: PluginDeclarations, spec: StudioPluginSpec): void {
  for (const [index, scope] of (spec.scopes ?? []).entries()) {
    if (!declared.scopes.includes(scope)) throw notRequested(`scope "${scope}"`, `/scopes/${index}`, declared.scopes)
  }
  for (const direction of ['publish', 'subscribe'] as const) {
    for (const [index, pattern] of (spec.topics?.[direction] ?? []).entries()) {
      // Checked with the host's own rule: a pattern it would refuse at start must not be stored (the plugin would only fail).
      const problem = topicProblem(pattern, { wildcards: true })
      if (problem) throw new StudioError('VALIDATION_FAILED', `${direction} topic pattern "${pattern}" ${problem}`, { details: [{ path: `/topics/${direction}/${index}`, message: problem }] })
      if (!declared.topics[direction].some((requested) => patternWithin(pattern, requested))) {
        throw notRequested(`${direction} topic "${pattern}"`, `/topics/${direction}/${index}`, declared.topics[direction])
      }
    }
  }
  for (const [index, type] of (spec.objectHooks ?? []).entries()) {
    if (!declared.objectTypes.includes(type)) throw notRequested(`object hooks on "${type}"`, `/objectHooks/${index}`, declared.objectTypes)
  }
}

/** PLUGIN_CONFIG_INVALID, with each problem as a detail, unless `config` fits the plugin's schema. */
function checkConfig(row: Pick<Row<'plugins'>, 'name' | 'config_schema'>, config: unknown): void {
  try {
    validateConfig(row.name, (row.config_schema ?? undefined) as Parameters<typeof validateConfig>[1], config)
  } catch (error) {
    // Without details the schema itself did not compile (a plugin stored before it was looked at): one problem, as the host put it.
    const details = (error as { details?: string[] }).details ?? [`/: ${(error as Error).message}`]
    const problems = details.map((problem): ErrorDetail => {
      const at = problem.indexOf(': ')
      return at > 0 ? { path: `/config${problem.slice(0, at) === '/' ? '' : problem.slice(0, at)}`, message: problem.slice(at + 2) } : { path: '/config', message: problem }
    })
    throw new StudioError('PLUGIN_CONFIG_INVALID', `config does not match the schema of plugin "${row.name}": ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems })
  }
}

/**
 * Throws the host's PLUGIN_MANIFEST_INVALID when the plugin serves a config schema that does not compile:
 * no config could ever be checked against it, so it could never be enabled.
 */
function checkSchemaCompiles(name: string, schema: unknown): void {
  try {
    validateConfig(name, schema as Parameters<typeof validateConfig>[1], undefined)
  } catch (error) {
    if (isPlugboardError(error) && error.code === 'PLUGIN_MANIFEST_INVALID') throw error
  }
}

/** A binding limited to apps or LLMs cannot hold hooks that run before the app is known. */
function checkBinding(declared: PluginDeclarations, spec: StudioPluginSpec): void {
  if (!spec.apps?.length && !spec.llms?.length) return
  const bound = (spec.hooks ?? declared.capabilities) as string[]
  const early = ['pre_auth', 'auth', 'custom_endpoints'].filter((hook) => bound.includes(hook) && declared.capabilities.includes(hook as never))
  if (early.length > 0) {
    throw new StudioError('BINDING_INVALID', `this plugin's ${early.join(', ')} hooks run before the app is known, so they cannot be limited to apps or LLMs; bind it globally, or list its hooks without them`, {
      details: [{ path: spec.apps?.length ? '/apps' : '/llms', message: 'cannot limit hooks that run before authentication' }],
    })
  }
}

/**
 * REFERENCE_NOT_FOUND unless every slug (group name) not `stored` already names an app
 * (LLM, …). Those the binding held before are not checked again: one whose app was since
 * renamed or deleted must not lock the plugin (a disable or a revoke must still go through).
 */
const TARGETS = {
  apps: { table: 'apps', key: 'slug', label: 'app' },
  llms: { table: 'llms', key: 'slug', label: 'LLM' },
  tools: { table: 'tools', key: 'slug', label: 'tool' },
  datasources: { table: 'datasources', key: 'slug', label: 'datasource' },
  chatGroups: { table: 'groups', key: 'name', label: 'group' },
} as const

async function checkTargets(db: StudioDb | Trx, field: keyof typeof TARGETS, next: StudioPluginSpec, stored: StudioPluginSpec): Promise<void> {
  const { table, key, label } = TARGETS[field]
  const refs = next[field] ?? []
  const added = refs.filter((ref) => !(stored[field] ?? []).includes(ref))
  if (added.length === 0) return
  const rows = (await (db as StudioDb).selectFrom(table).select(key).where(key, 'in', added).execute()) as Record<string, string>[]
  const found = new Set(rows.map((row) => row[key]))
  const missing = refs.findIndex((ref) => added.includes(ref) && !found.has(ref))
  if (missing >= 0) throw new StudioError('REFERENCE_NOT_FOUND', `no ${label} "${refs[missing]}"`, { details: [{ path: `/${field}/${missing}`, message: 'names no existing object' }] })
}

/** Why a plugin could not be started to be looked at, as the admin sees it (the host's code kept in the details). */
/** `probeName`: the made-up name an install without one looked at the plugin under, which the admin never typed, left out of the message. */
function startFailure(code: 'PLUGIN_INSTALL_FAILED' | 'PLUGIN_RELOAD_FAILED', error: unknown, probeName?: string): StudioError {
  if (error instanceof StudioError) return error
  const hostCode = isPlugboardError(error) ? error.code : 'PLUGIN_LAUNCH_FAILED'
  const raw = (error as Error).message ?? String(error)
  const message = probeName ? raw.replaceAll(`plugin "${probeName}"`, 'the plugin') : raw
  const what = code === 'PLUGIN_INSTALL_FAILED' ? 'the plugin could not be installed' : 'the new version did not start; the running one keeps serving'
  return new StudioError(code, `${what}: ${message}`, { details: [{ path: '/source', message: `${hostCode}: ${message}` }], cause: error })
}

export function registerPluginRoutes(app: Api, ctx: StudioContext, plugins: StudioPlugins): void {
  const tags = ['plugins']
  const config = { access: 'admin' as const }
  const base = `${API_PREFIX}/plugins`
  const write = (request: FastifyRequest, action: string) => ({ actor: actorOf(principalOf(request)), action, type: 'plugin' as const, requestId: request.id })

  const halfOf = (managed: ManagedPlugin | undefined, wanted: boolean) =>
    !wanted ? undefined : managed ? { state: managed.state, pid: managed.pid ?? null, restarts: managed.restarts, generation: managed.generation, version: managed.description?.version || null } : null

  /** What state the plugin is in, across the halves it should run. */
  const statusOf = (row: Row<'plugins'>, declared = declarationsOf(row.manifest as PluginManifest | null)) => {
    const runtimes = {
      studio: halfOf(plugins.studioHalf(row.name), runsIn(declared, 'studio')),
      gateway: halfOf(plugins.gatewayHalf?.(row.name), runsIn(declared, 'gateway') && plugins.gatewayHalf !== undefined),
    }
    let status: PluginItem['status']
    const halves = [runtimes.studio, runtimes.gateway].filter((half) => half !== undefined)
    if (!row.enabled) status = 'disabled'
    else if (halves.some((half) => half === null || half.state === 'failed')) status = 'failed'
    else if (halves.some((half) => half!.state === 'restarting')) status = 'restarting'
    else if (halves.some((half) => half!.state !== 'running')) status = 'starting'
    else status = row.pending_scopes.length > 0 ? 'scopes_pending' : 'running'
    return { status, runtimes }
  }

  const present = (row: Row<'plugins'>): PluginItem => {
    const manifest = row.manifest as PluginManifest | null
    const declared = declarationsOf(manifest)
    const spec = specOf(row)
    return {
      id: row.id,
      name: row.name,
      source: spec.source,
      enabled: row.enabled,
      status: statusOf(row, declared).status,
      manifest: manifest && {
        id: typeof manifest.id === 'string' ? manifest.id : null,
        name: typeof manifest.name === 'string' ? manifest.name : null,
        version: declared.version,
        description: declared.description,
        capabilities: declared.capabilities,
        schedules: declared.schedules,
      },
      runtimes: (['gateway', 'studio'] as const).filter((runtime) => runsIn(declared, runtime)),
      requested: { scopes: declared.scopes, topics: declared.topics, objectHooks: declared.objectTypes },
      granted: { scopes: spec.scopes ?? [], topics: grantedTopics(spec), objectHooks: spec.objectHooks ?? [] },
      pendingScopes: row.pending_scopes,
      config: spec.config ?? null,
      configSchema: row.config_schema ?? null,
      binding: { hooks: spec.hooks ?? null, priority: spec.priority ?? 0, failurePolicy: spec.failurePolicy ?? 'fail-open', deadlineMs: spec.deadlineMs ?? null, apps: spec.apps ?? [], llms: spec.llms ?? [], tools: spec.tools ?? [], datasources: spec.datasources ?? [], chatGroups: spec.chatGroups ?? [] },
      revision: row.revision,
      ...timestamps(row),
    }
  }

  /**
   * Changes a plugin's spec under If-Match: locks the row, applies `change`,
   * checks grants, binding and targets, stores it (a new version), audited.
   * Answers once both runtimes applied it (the change feed's listeners).
   */
  const change = async (request: FastifyRequest, id: string, action: string, apply: (spec: StudioPluginSpec, row: Row<'plugins'>) => { spec: StudioPluginSpec; enabled?: boolean; pending?: string[] }) => {
    const expected = parseIfMatch(request.headers['if-match'])
    const found = await findPlugin(ctx.db, id)
    return ctx.writes.run(write(request, action), async (trx) => {
      const row = await lockVersioned(trx, 'plugins', found.id, expected, 'plugin')
      const before = present(row)
      const next = apply(structuredClone(specOf(row)), row)
      const declared = declarationsOf(row.manifest as PluginManifest | null)
      checkGrants(declared, next.spec)
      checkBinding(declared, next.spec)
      for (const field of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) await checkTargets(trx, field, next.spec, specOf(row))
      const enabled = next.enabled ?? row.enabled
      if (enabled) checkConfig(row, next.spec.config)
      const pending = (next.pending ?? row.pending_scopes).filter((scope) => !(next.spec.scopes ?? []).includes(scope as Scope))
      const updated = await trx
        .updateTable('plugins')
        .set((eb) => ({ spec: JSON.stringify(next.spec), enabled, pending_scopes: JSON.stringify(pending), version: eb('version', '+', 1), updated_at: new Date() }))
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      const after = present(updated)
      return { id: row.id, before, after, result: updated }
    })
  }

  /** The plugin as stored now, with the status its halves have after the change took effect. */
  const answer = async (reply: import('fastify').FastifyReply, id: string) => {
    const row = await findPlugin(ctx.db, id)
    reply.header('etag', etag(row.version))
    return present(row)
  }

  app.get(
    base,
    {
      config,
      schema: {
        tags,
        summary: 'Installed plugins',
        querystring: ListQuerySchema({ enabled: Type.Optional(Type.Boolean()), q: TextQuery('name') }),
        response: { 200: Page(Plugin), ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const { enabled, q } = request.query
      let query = ctx.db.selectFrom('plugins').selectAll()
      if (enabled !== undefined) query = query.where('enabled', '=', enabled)
      if (q) query = query.where(containsText(['name'], q))
      const page = await listPage(query, { sortable: { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' }, defaultSort: 'name', idColumn: 'id', query: request.query })
      return { items: page.items.map(present), nextCursor: page.nextCursor }
    },
  )

  app.get(`${base}/:id`, { config, schema: { tags, summary: 'A plugin by id or name', params: IdParams, response: { 200: Plugin, ...errorResponses(401, 403, 404) } } }, async (request, reply) =>
    answer(reply, request.params.id),
  )

  app.post(
    base,
    {
      config,
      schema: {
        tags,
        summary: 'Install a plugin: Studio starts it to read its manifest and config schema, and stores it disabled with nothing granted',
        body: Install,
        response: { 201: Plugin, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { source } = request.body
      try {
        parsePluginSource(source)
      } catch (error) {
        throw new StudioError('VALIDATION_FAILED', (error as Error).message, { details: [{ path: '/source', message: (error as Error).message }] })
      }
      const probeName = request.body.name ?? `install-${randomUUID().slice(0, 8)}`
      const installedAs = (name: string) => ctx.db.selectFrom('plugins').select('id').where('name', '=', name).executeTakeFirst()
      if (request.body.name && (await installedAs(request.body.name))) {
        throw new StudioError('ALREADY_EXISTS', 'an object with that name already exists', { details: [{ path: '/name', message: 'is already taken' }] })
      }
      try {
        let described: Awaited<ReturnType<StudioPlugins['host']['describe']>>
        try {
          described = await plugins.host.describe({ name: probeName, source })
          checkSchemaCompiles(probeName, described.configSchema)
        } catch (error) {
          throw startFailure('PLUGIN_INSTALL_FAILED', error, request.body.name ? undefined : probeName)
        }
        const declared = declarationsOf(described.manifest)
        const unknown = declared.scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope))
        if (unknown.length > 0) {
          throw new StudioError('PLUGIN_SCOPES_UNKNOWN', `the plugin asks for scopes that do not exist: ${unknown.join(', ')} (known: ${SCOPES.join(', ')}); it was not installed`, {
            details: unknown.map((scope) => ({ path: '/manifest/permissions/services', message: `unknown scope "${scope}"` })),
          })
        }
        const name = request.body.name ?? (typeof described.manifest?.id === 'string' ? described.manifest.id : undefined)
        if (!name || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
          throw new StudioError('VALIDATION_FAILED', 'the plugin serves no manifest id that is a slug; give it a name', { details: [{ path: '/name', message: 'is required for this plugin' }] })
        }
        const spec: StudioPluginSpec = { source, scopes: [] }
        const installed = await ctx.writes.run(write(request, 'install'), async (trx) => {
          const row = await trx
            .insertInto('plugins')
            .values({
              id: randomUUID(),
              name,
              spec: JSON.stringify(spec),
              enabled: false,
              manifest: described.manifest ? JSON.stringify(described.manifest) : null,
              config_schema: described.configSchema === undefined ? null : JSON.stringify(described.configSchema),
            })
            .returningAll()
            .executeTakeFirstOrThrow()
          return { id: row.id, before: undefined, after: present(row), result: row }
        })
        reply.code(201).header('etag', etag(installed.version)).header('location', `${base}/${installed.id}`)
        return present(installed)
      } finally {
        // What the probe logged is kept only under a plugin installed by its name: failed installs must not fill the log tail's plugins.
        if (!(await installedAs(probeName))) plugins.logTail.forget(probeName)
      }
    },
  )

  app.patch(
    `${base}/:id`,
    {
      config,
      schema: {
        tags,
        summary: 'Grant scopes, topics and object types; set the config (checked against the plugin schema) and binding; enable or disable (If-Match: its version)',
        params: IdParams,
        body: Update,
        response: { 200: Plugin, ...errorResponses(400, 401, 403, 404, 409, 412, 422) },
      },
    },
    async (request, reply) => {
      const { enabled, topics, ...fields } = request.body
      const updated = await change(request, request.params.id, 'update', (spec, row) => {
        for (const [key, value] of Object.entries(fields)) {
          // null clears a setting (the deadline) back to its default, as an absent one is.
          if (value === null) delete spec[key]
          else if (value !== undefined) spec[key] = value
        }
        if (topics) spec.topics = { ...grantedTopics(spec), ...topics }
        if (fields.config !== undefined && enabled === undefined && !row.enabled) checkConfig(row, fields.config)
        return { spec, ...(enabled !== undefined && { enabled }) }
      })
      return answer(reply, updated.id)
    },
  )

  app.post(
    `${base}/:id/scopes`,
    { config, schema: { tags, summary: 'Grant one scope the manifest requests (also approves a pending one)', params: IdParams, body: ScopeBody, response: { 200: Plugin, ...errorResponses(401, 403, 404, 409, 412, 422) } } },
    async (request, reply) => {
      const updated = await change(request, request.params.id, 'grant_scope', (spec) => ({ spec: { ...spec, scopes: [...new Set([...(spec.scopes ?? []), request.body.scope])] } }))
      return answer(reply, updated.id)
    },
  )

  app.delete(
    `${base}/:id/scopes/:scope`,
    { config, schema: { tags, summary: 'Revoke one scope (its next Service API call is refused)', params: ScopeParams, response: { 200: Plugin, ...errorResponses(401, 403, 404, 409, 412) } } },
    async (request, reply) => {
      const updated = await change(request, request.params.id, 'revoke_scope', (spec) => ({ spec: { ...spec, scopes: (spec.scopes ?? []).filter((scope) => scope !== request.params.scope) } }))
      return answer(reply, updated.id)
    },
  )

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `${base}/:id/${verb}`,
      { config, schema: { tags, summary: enabled ? 'Enable a plugin: its halves start (its config must fit its schema)' : 'Disable a plugin: its halves stop', params: IdParams, response: { 200: Plugin, ...errorResponses(401, 403, 404, 409, 412, 422) } } },
      async (request, reply) => {
        const updated = await change(request, request.params.id, verb, (spec) => ({ spec, enabled }))
        return answer(reply, updated.id)
      },
    )
  }

  app.post(
    `${base}/:id/reload`,
    {
      config,
      preValidation: async (request) => void (request.body ??= {}),
      schema: {
        tags,
        summary: 'Reload a plugin: a new process in each runtime, side by side, the old one drained (no request fails). A newer version asking for more scopes runs with the old grant and shows scopes_pending.',
        params: IdParams,
        body: ReloadBody,
        response: { 200: Plugin, ...errorResponses(401, 403, 404, 409, 412, 422) },
      },
    },
    async (request, reply) => {
      const found = await findPlugin(ctx.db, request.params.id)
      let described: Awaited<ReturnType<StudioPlugins['host']['describe']>>
      try {
        described = await plugins.host.describe({ name: found.name, source: specOf(found).source })
        checkSchemaCompiles(found.name, described.configSchema)
      } catch (error) {
        plugins.recordProblem(found.name, { runtime: 'studio', code: isPlugboardError(error) ? error.code : 'PLUGIN_LAUNCH_FAILED', message: (error as Error).message })
        throw startFailure('PLUGIN_RELOAD_FAILED', error)
      }
      const expected = parseIfMatch(request.headers['if-match'])
      await ctx.writes.run(write(request, 'reload'), async (trx) => {
        const row = await lockVersioned(trx, 'plugins', found.id, expected, 'plugin')
        const before = present(row)
        const previous = declarationsOf(row.manifest as PluginManifest | null)
        const next = declarationsOf(described.manifest)
        const spec = specOf(row)
        // The new version keeps only the grants it still asks for; what it newly asks for waits for an admin.
        const scopes = (spec.scopes ?? []).filter((scope) => next.scopes.includes(scope))
        const pending = [...new Set([...row.pending_scopes.filter((scope) => next.scopes.includes(scope)), ...newlyRequested(previous, next, scopes)])]
        const nextSpec: StudioPluginSpec = {
          ...spec,
          ...(request.body.config !== undefined && { config: request.body.config }),
          scopes,
          topics: {
            publish: grantedTopics(spec).publish.filter((pattern) => next.topics.publish.some((requested) => patternWithin(pattern, requested))),
            subscribe: grantedTopics(spec).subscribe.filter((pattern) => next.topics.subscribe.some((requested) => patternWithin(pattern, requested))),
          },
          objectHooks: (spec.objectHooks ?? []).filter((type): type is HookedObjectType => next.objectTypes.includes(type)),
        }
        const reloaded = { ...row, config_schema: described.configSchema ?? null, manifest: (described.manifest ?? null) as Row<'plugins'>['manifest'] }
        // A config given with the reload is checked even while disabled: nothing that does not fit is saved.
        if (row.enabled || request.body.config !== undefined) checkConfig(reloaded, nextSpec.config)
        const updated = await trx
          .updateTable('plugins')
          .set((eb) => ({
            spec: JSON.stringify(nextSpec),
            manifest: described.manifest ? JSON.stringify(described.manifest) : null,
            config_schema: described.configSchema === undefined ? null : JSON.stringify(described.configSchema),
            pending_scopes: JSON.stringify(pending),
            revision: eb('revision', '+', 1),
            version: eb('version', '+', 1),
            updated_at: new Date(),
          }))
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow()
        return { id: row.id, before, after: present(updated), result: updated }
      })
      return answer(reply, found.id)
    },
  )

  app.get(
    `${base}/:id/status`,
    { config, schema: { tags, summary: "A plugin's state in each runtime, restarts and last errors", params: IdParams, response: { 200: PluginStatus, ...errorResponses(401, 403, 404) } } },
    async (request) => {
      const row = await findPlugin(ctx.db, request.params.id)
      const { status, runtimes } = statusOf(row)
      return { status, runtimes, pendingScopes: row.pending_scopes, objectHooks: ctx.objectHooks.counters(row.name), lastErrors: plugins.problems(row.name) }
    },
  )

  app.post(
    `${base}/:id/rpc/:method`,
    {
      config,
      bodyLimit: MAX_RPC_BYTES,
      preValidation: async (request) => void (request.body ??= null),
      schema: {
        tags,
        summary: "Call a method of the plugin's admin RPC (declared in its manifest's ui.rpc) with the signed-in admin as the host-verified user",
        params: RpcParams,
        body: Type.Unknown({ description: 'The payload, any JSON.' }),
        response: { 200: Type.Object({ result: Type.Unknown() }), ...errorResponses(401, 403, 404, 413, 502, 503) },
      },
    },
    async (request) => {
      const row = await findPlugin(ctx.db, request.params.id)
      const { method } = request.params
      const declared = ((row.manifest as { ui?: { rpc?: unknown } } | null)?.ui?.rpc ?? []) as unknown[]
      if (!declared.includes(method)) {
        throw new StudioError('RPC_METHOD_NOT_DECLARED', `plugin "${row.name}" does not declare the admin RPC method "${method}" in its manifest (ui.rpc: ${declared.join(', ') || 'none'})`)
      }
      const half = plugins.studioHalf(row.name)
      if (!half || !row.enabled) throw new StudioError('PLUGIN_NOT_RUNNING', `plugin "${row.name}" has no Studio process running (${row.enabled ? 'it failed to start; see its status' : 'it is disabled'})`)
      return { result: await callPluginRpc(half, { plugin: row.name, kind: 'handleUiRpc', method, payload: request.body, principal: principalOf(request) }) }
    },
  )

  app.get(
    `${base}/:id/logs`,
    { config, schema: { tags, summary: 'The last lines a plugin logged, in both runtimes (oldest first)', params: IdParams, querystring: LogQuery, response: { 200: Type.Object({ items: Type.Array(LogLine) }), ...errorResponses(401, 403, 404, 422) } } },
    async (request) => {
      const row = await findPlugin(ctx.db, request.params.id)
      return { items: plugins.logTail.lines(row.name, request.query.limit ?? 100) }
    },
  )

  app.delete(
    `${base}/:id`,
    { config, schema: { tags, summary: 'Uninstall a plugin: its halves stop; its schedules, run history and KV data are deleted (If-Match: its version)', params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 412) } } },
    async (request, reply) => {
      const expected = parseIfMatch(request.headers['if-match'])
      const found = await findPlugin(ctx.db, request.params.id)
      await ctx.writes.run(write(request, 'uninstall'), async (trx) => {
        const row = await lockVersioned(trx, 'plugins', found.id, expected, 'plugin')
        const before = present(row)
        await trx.deleteFrom('plugin_kv').where('namespace', '=', row.name).execute()
        await trx.deleteFrom('plugins').where('id', '=', row.id).execute()
        return { id: row.id, before, after: undefined, result: undefined }
      })
      plugins.forget(found.name)
      return reply.code(204).send(null)
    },
  )
}
