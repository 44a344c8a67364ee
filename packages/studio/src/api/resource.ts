import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify'
import type { SelectQueryBuilder } from 'kysely'
import { Type, type Static, type TObject, type TSchema } from 'typebox'
import type { StudioDb } from '../db/database.js'
import type { StudioSchema } from '../db/schema.js'
import { notFound } from '../errors.js'
import { actorOf, principalOf, type Access } from './auth.js'
import type { ObjectType } from './changes.js'
import type { StudioContext } from './context.js'
import { listPage, ListQuerySchema, Page } from './list.js'
import { API_PREFIX, type Api } from './server.js'
import { isHookedType } from '../plugins/object-hooks.js'
import type { HookedObjectType, ObjectHookBinding, ObjectHookEventName } from '../plugins/plugin-runtime.js'
import { compileBodyCheck, schemaError, type BodyCheck } from './validation.js'
import { lockVersioned, parseIfMatch, type Actor, type Trx, type VersionedTable, type WriteRequest } from './writes.js'

/** Tables a resource can be defined over: each has `id` and `version`. */
export type ResourceTable = VersionedTable
type RowOf<T extends ResourceTable> = import('kysely').Selectable<StudioSchema[T]> & { id: string; version: number }

/** The error body, for every route's documented error responses. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    plugin: Type.Optional(Type.String({ description: 'The plugin whose object hook refused or failed the write.' })),
  }),
})

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })

/** The version an object's ETag carries. */
export function etag(version: number): string {
  return `"${version}"`
}

export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody]))
}

/**
 * A CRUD resource under /api/v1/{plural}: list (keyset pages, filters,
 * sort), get, create, update (PATCH with If-Match) and delete (If-Match),
 * every write through `ctx.writes` (transaction + audit + change feed).
 * What differs per resource is given here; the HTTP shape is the same for all.
 */
export interface ResourceDefinition<T extends ResourceTable, Item extends TObject, Create extends TObject, Update extends TObject, Filters extends Record<string, TSchema>> {
  table: T
  type: ObjectType
  /** Singular, for messages and the OpenAPI tag. */
  label: string
  plural: string
  access: Access
  schemas: { item: Item; create: Create; update: Update; filters: Filters }
  sortable: Record<string, string>
  defaultSort: string
  /** Narrows the list by the query's filters. */
  filter: (query: SelectQueryBuilder<StudioSchema, T, RowOf<T>>, filters: Static<TObject<Filters>>) => SelectQueryBuilder<StudioSchema, T, RowOf<T>>
  /** Rows to their API shape (batched: a page is presented at once). Never includes secrets. */
  present: (rows: RowOf<T>[], db: StudioDb | Trx) => Promise<Static<Item>[]>
  insert: (trx: Trx, body: Static<Create>) => Promise<string>
  /** Applies a patch to the locked row; bumps nothing itself (version and updated_at are set after). */
  update: (trx: Trx, row: RowOf<T>, patch: Static<Update>) => Promise<void>
  /** Runs before the row is deleted (a check that may refuse, or dependent cleanup). */
  beforeDelete?: (trx: Trx, row: RowOf<T>) => Promise<void>
  /** Top-level create and update body fields holding a secret: object hooks see them redacted and cannot change them. */
  secrets?: readonly string[]
}

/** Marks a written object: its version goes up by one (its next If-Match) and updated_at is now. For writes beside the CRUD routes (a group's members). */
export async function bumpVersion(trx: Trx, table: ResourceTable, id: string): Promise<void> {
  await (trx as StudioDb)
    .updateTable(table as 'llms')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date() }))
    .where('id', '=', id)
    .execute()
}

/** Looks an object up by id, or by slug where the table has one. */
export async function findRow<T extends ResourceTable>(db: StudioDb | Trx, table: T, idOrSlug: string, label: string): Promise<RowOf<T>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const q = (db as StudioDb).selectFrom(table as any).selectAll() as any
  const hasSlug = ['llms', 'apps', 'tools', 'datasources'].includes(table)
  const row = await (hasSlug ? q.where((eb: any) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)])) : q.where('id', '=', idOrSlug)).executeTakeFirst()
  if (!row) throw notFound(label, idOrSlug)
  return row as RowOf<T>
}

/** Who writes (for the audit entry), and for update and delete the version the caller read (If-Match; absent: unconditional). */
export interface WriteContext {
  actor: Actor
  requestId?: string | undefined
  expectedVersion?: number | undefined
}

/**
 * One resource's create, update and delete: the write path of its routes and
 * of callers without HTTP (the Service API, through ResourceRegistry). Each
 * write runs its object's before-hooks first (outside the transaction: no
 * transaction is held open while a plugin answers), then the write with its
 * audit entry and change (`ctx.writes`), then queues its after-hooks.
 * Bodies are taken as already checked against the route's schema (`parse`
 * checks one that was not).
 */
export class ResourceService<T extends ResourceTable, Item extends TObject, Create extends TObject, Update extends TObject, Filters extends Record<string, TSchema>> {
  readonly #checks: { create: BodyCheck; update: BodyCheck }
  readonly #hookedType: HookedObjectType | undefined

  constructor(
    private readonly ctx: StudioContext,
    readonly def: ResourceDefinition<T, Item, Create, Update, Filters>,
  ) {
    this.#checks = { create: compileBodyCheck(def.schemas.create), update: compileBodyCheck(def.schemas.update) }
    this.#hookedType = isHookedType(def.type) ? def.type : undefined
  }

  get type(): ObjectType {
    return this.def.type
  }

  /** `value` as a create or update body, or VALIDATION_FAILED with the paths at fault, exactly as the route would answer. */
  parse(kind: 'create', value: unknown): Static<Create>
  parse(kind: 'update', value: unknown): Static<Update>
  parse(kind: 'create' | 'update', value: unknown): Static<Create> | Static<Update> {
    const details = this.#checks[kind](value)
    if (details) throw schemaError('body', details)
    return value as Static<Create> | Static<Update>
  }

  /** The object as the API presents it, by id or slug (NOT_FOUND when there is none). */
  async find(idOrSlug: string): Promise<Static<Item>> {
    return this.#one(this.ctx.db, await findRow(this.ctx.db, this.def.table, idOrSlug, this.def.label))
  }

  async create(body: Static<Create>, write: WriteContext): Promise<Static<Item>> {
    const object = await this.#before('before_create', body, write, { check: this.#checks.create })
    const created = await this.ctx.writes.run(this.#request('create', write), async (trx) => {
      const id = await this.def.insert(trx, object as Static<Create>)
      const after = await this.#one(trx, await findRow(trx, this.def.table, id, this.def.label))
      return { id, before: undefined, after, result: after }
    })
    this.#after('after_create', created, undefined, write)
    return created
  }

  async update(idOrSlug: string, patch: Static<Update>, write: WriteContext): Promise<Static<Item>> {
    const found = await findRow(this.ctx.db, this.def.table, idOrSlug, this.def.label)
    const hooks = this.#bindings('before_update')
    const object = await this.#before('before_update', patch, write, { check: this.#checks.update, previous: () => this.#one(this.ctx.db, found) }, hooks)
    // The hooks approved the change against the version they saw: one written meanwhile is a conflict, as with If-Match.
    const expected = write.expectedVersion ?? (hooks.length > 0 ? found.version : undefined)
    const { before, after } = await this.ctx.writes.run(this.#request('update', write), async (trx) => {
      const row = (await lockVersioned(trx, this.def.table, found.id, expected, this.def.label)) as RowOf<T>
      const before = await this.#one(trx, row)
      await this.def.update(trx, row, object as Static<Update>)
      await bumpVersion(trx, this.def.table, found.id)
      const after = await this.#one(trx, await findRow(trx, this.def.table, found.id, this.def.label))
      return { id: found.id, before, after, result: { before, after } }
    })
    this.#after('after_update', after, before, write)
    return after
  }

  async delete(idOrSlug: string, write: WriteContext): Promise<void> {
    const found = await findRow(this.ctx.db, this.def.table, idOrSlug, this.def.label)
    const hooks = this.#bindings('before_delete')
    if (hooks.length > 0) await this.#before('before_delete', await this.#one(this.ctx.db, found), write, {}, hooks)
    const expected = write.expectedVersion ?? (hooks.length > 0 ? found.version : undefined)
    const before = await this.ctx.writes.run(this.#request('delete', write), async (trx) => {
      const row = (await lockVersioned(trx, this.def.table, found.id, expected, this.def.label)) as RowOf<T>
      const before = await this.#one(trx, row)
      await this.def.beforeDelete?.(trx, row)
      await (trx as StudioDb).deleteFrom(this.def.table as 'llms').where('id', '=', found.id).execute()
      return { id: found.id, before, after: undefined, result: before }
    })
    this.#after('after_delete', before, undefined, write)
  }

  async #one(db: StudioDb | Trx, row: RowOf<T>): Promise<Static<Item>> {
    return (await this.def.present([row], db))[0]!
  }

  #request(action: 'create' | 'update' | 'delete', write: WriteContext): WriteRequest {
    return { actor: write.actor, action, type: this.def.type, requestId: write.requestId }
  }

  #bindings(event: ObjectHookEventName): ObjectHookBinding[] {
    return this.#hookedType ? this.ctx.objectHooks.bindings(this.#hookedType, event) : []
  }

  async #before(
    event: 'before_create' | 'before_update' | 'before_delete',
    object: object,
    write: WriteContext,
    options: { check?: BodyCheck; previous?: () => Promise<unknown> },
    bindings = this.#bindings(event),
  ): Promise<object> {
    if (bindings.length === 0) return object
    return this.ctx.objectHooks.runBefore(bindings, {
      type: this.#hookedType!,
      label: this.def.label,
      event,
      object: object as Record<string, unknown>,
      previous: await options.previous?.(),
      actor: write.actor,
      check: options.check,
      secrets: this.def.secrets,
    })
  }

  #after(event: 'after_create' | 'after_update' | 'after_delete', object: unknown, previous: unknown, write: WriteContext): void {
    if (this.#hookedType) this.ctx.objectHooks.runAfter({ type: this.#hookedType, event, object, previous, actor: write.actor })
  }
}

export function registerResource<T extends ResourceTable, Item extends TObject, Create extends TObject, Update extends TObject, Filters extends Record<string, TSchema>>(
  typed: Api,
  ctx: StudioContext,
  def: ResourceDefinition<T, Item, Create, Update, Filters>,
): ResourceService<T, Item, Create, Update, Filters> {
  // Generic over the resource, so typed by `def` rather than by the type provider (which cannot follow generics).
  const app = typed as unknown as FastifyInstance
  const base = `${API_PREFIX}/${def.plural}`
  const tags = [def.plural]
  const config = { access: def.access }
  const service = new ResourceService(ctx, def)
  ctx.resources.add(service)
  const writer = (request: FastifyRequest): WriteContext => ({ actor: actorOf(principalOf(request)), requestId: request.id })
  const versioned = (request: FastifyRequest): WriteContext => ({ ...writer(request), expectedVersion: parseIfMatch(request.headers['if-match']) })
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id

  app.get(base, { config, schema: untypedSchema({ tags, summary: `List ${def.plural}`, querystring: ListQuerySchema(def.schemas.filters), response: { 200: Page(def.schemas.item), ...errorResponses(401, 403, 422) } }) }, async (request) => {
    const query = request.query as { limit?: number; cursor?: string; sort?: string } & Static<TObject<Filters>>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const base = ctx.db.selectFrom(def.table as any).selectAll() as unknown as SelectQueryBuilder<StudioSchema, T, RowOf<T>>
    const page = await listPage(def.filter(base, query), { sortable: def.sortable, defaultSort: def.defaultSort, idColumn: 'id', query })
    return { items: await def.present(page.items, ctx.db), nextCursor: page.nextCursor }
  })

  app.get(`${base}/:id`, { config, schema: untypedSchema({ tags, summary: `Get a ${def.label} by id or slug`, params: IdParams, response: { 200: def.schemas.item, ...errorResponses(401, 403, 404) } }) }, async (request, reply) => {
    const row = await findRow(ctx.db, def.table, idOf(request), def.label)
    reply.header('etag', etag(row.version))
    return (await def.present([row], ctx.db))[0]
  })

  const hookErrors = isHookedType(def.type) ? [503] : []
  app.post(base, { config, schema: untypedSchema({ tags, summary: `Create a ${def.label}`, body: def.schemas.create, response: { 201: def.schemas.item, ...errorResponses(401, 403, 409, 422, ...hookErrors) } }) }, async (request, reply) => {
    const created = (await service.create(request.body as Static<Create>, writer(request))) as { id: string; version: number }
    reply.code(201).header('etag', etag(created.version)).header('location', `${base}/${created.id}`)
    return created
  })

  app.patch(`${base}/:id`, { config, schema: untypedSchema({ tags, summary: `Update a ${def.label} (If-Match: its version)`, params: IdParams, body: def.schemas.update, response: { 200: def.schemas.item, ...errorResponses(400, 401, 403, 404, 409, 412, 422, ...hookErrors) } }) }, async (request, reply) => {
    const updated = (await service.update(idOf(request), request.body as Static<Update>, versioned(request))) as { version: number }
    reply.header('etag', etag(updated.version))
    return updated
  })

  app.delete(`${base}/:id`, { config, schema: untypedSchema({ tags, summary: `Delete a ${def.label} (If-Match: its version)`, params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409, 412, ...(isHookedType(def.type) ? [422, 503] : [])) } }) }, async (request, reply) => {
    await service.delete(idOf(request), versioned(request))
    return reply.code(204).send(null)
  })
  return service
}

/** A route schema the handler is not type-checked against (a generic resource types itself by its definition). */
function untypedSchema(schema: FastifySchema): FastifySchema {
  return schema
}

/** Timestamps as the API gives them. */
export const Timestamps = {
  version: Type.Integer({ description: 'Send as If-Match to update or delete.' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
}

export function timestamps(row: { version: number; created_at: Date; updated_at: Date }) {
  return { version: row.version, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() }
}

const HTTP_URL_MESSAGE = 'must be an http:// or https:// URL with a host, and no user:password@'

/**
 * An http(s) base URL without credentials in it (`user:pass@` would be
 * stored, shown and logged as any URL is): secrets go in their own
 * encrypted fields.
 */
export const HttpUrl = Type.String({
  format: 'uri',
  pattern: '^https?://[^/?#@\\s]+(?:[/?#]|$)',
  maxLength: 2048,
  description: 'http(s), without user:password@ (credentials go in their own field).',
  errorMessage: HTTP_URL_MESSAGE,
})

/** HttpUrl, or '' for "none set" (the default applies). */
export const HttpUrlOrEmpty = Type.Union([HttpUrl, Type.Literal('')], { errorMessage: `${HTTP_URL_MESSAGE}, or empty for the default` })

/** The `?q=` text filter of a list, searching `what` (see `containsText`). */
export function TextQuery(what: string) {
  return Type.Optional(Type.String({ maxLength: 100, description: `Part of the ${what}.` }))
}

/** How the lists of objects named by a slug sort: by slug by default, or by name or time. */
export const SLUG_NAMED_SORTS = {
  sortable: { slug: 'slug', name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' },
  defaultSort: 'slug',
}

/**
 * A slug: lower-case letters, digits and dashes, as gateway routes
 * (/llm/{slug}) take it; never in the form of a UUID, so that a lookup by id
 * or slug cannot find another object by its id.
 */
export const Slug = Type.String({
  pattern: '^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[a-z0-9][a-z0-9-]*$',
  minLength: 1,
  maxLength: 63,
  description: 'Lower-case letters, digits and dashes, starting with a letter or digit; not in the form of a UUID.',
  errorMessage: 'must be lower-case letters, digits and dashes, starting with a letter or digit, and not a UUID',
})
