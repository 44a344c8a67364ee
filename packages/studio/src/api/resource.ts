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
import { lockVersioned, parseIfMatch, type Trx, type VersionedTable } from './writes.js'

/** Tables a resource can be defined over: each has `id` and `version`. */
export type ResourceTable = VersionedTable
type RowOf<T extends ResourceTable> = import('kysely').Selectable<StudioSchema[T]> & { id: string; version: number }

/** The error body, for every route's documented error responses. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))) }),
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
  insert: (trx: Trx, body: Static<Create>, request: FastifyRequest) => Promise<string>
  /** Applies a patch to the locked row; bumps nothing itself (version and updated_at are set after). */
  update: (trx: Trx, row: RowOf<T>, patch: Static<Update>) => Promise<void>
  /** Runs before the row is deleted (a check that may refuse, or dependent cleanup). */
  beforeDelete?: (trx: Trx, row: RowOf<T>) => Promise<void>
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

export function registerResource<T extends ResourceTable, Item extends TObject, Create extends TObject, Update extends TObject, Filters extends Record<string, TSchema>>(
  typed: Api,
  ctx: StudioContext,
  def: ResourceDefinition<T, Item, Create, Update, Filters>,
): void {
  // Generic over the resource, so typed by `def` rather than by the type provider (which cannot follow generics).
  const app = typed as unknown as FastifyInstance
  const base = `${API_PREFIX}/${def.plural}`
  const tags = [def.plural]
  const config = { access: def.access }
  const one = async (db: StudioDb | Trx, row: RowOf<T>) => (await def.present([row], db))[0]!
  const bump = (trx: Trx, id: string) => bumpVersion(trx, def.table, id)

  app.get(base, { config, schema: untypedSchema({ tags, summary: `List ${def.plural}`, querystring: ListQuerySchema(def.schemas.filters), response: { 200: Page(def.schemas.item), ...errorResponses(401, 403, 422) } }) }, async (request) => {
    const query = request.query as { limit?: number; cursor?: string; sort?: string } & Static<TObject<Filters>>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const base = ctx.db.selectFrom(def.table as any).selectAll() as unknown as SelectQueryBuilder<StudioSchema, T, RowOf<T>>
    const page = await listPage(def.filter(base, query), { sortable: def.sortable, defaultSort: def.defaultSort, idColumn: 'id', query })
    return { items: await def.present(page.items, ctx.db), nextCursor: page.nextCursor }
  })

  app.get(`${base}/:id`, { config, schema: untypedSchema({ tags, summary: `Get a ${def.label} by id or slug`, params: IdParams, response: { 200: def.schemas.item, ...errorResponses(401, 403, 404) } }) }, async (request, reply) => {
    const row = await findRow(ctx.db, def.table, (request.params as { id: string }).id, def.label)
    reply.header('etag', etag(row.version))
    return one(ctx.db, row)
  })

  app.post(base, { config, schema: untypedSchema({ tags, summary: `Create a ${def.label}`, body: def.schemas.create, response: { 201: def.schemas.item, ...errorResponses(401, 403, 409, 422) } }) }, async (request, reply) => {
    const created = await ctx.writes.run({ actor: actorOf(principalOf(request)), action: 'create', type: def.type, requestId: request.id }, async (trx) => {
      const id = await def.insert(trx, request.body as Static<Create>, request)
      const after = await one(trx, await findRow(trx, def.table, id, def.label))
      return { id, before: undefined, after, result: after }
    })
    reply.code(201).header('etag', etag((created as { version: number }).version)).header('location', `${base}/${(created as { id: string }).id}`)
    return created
  })

  app.patch(`${base}/:id`, { config, schema: untypedSchema({ tags, summary: `Update a ${def.label} (If-Match: its version)`, params: IdParams, body: def.schemas.update, response: { 200: def.schemas.item, ...errorResponses(400, 401, 403, 404, 409, 412, 422) } }) }, async (request, reply) => {
    const expected = parseIfMatch(request.headers['if-match'])
    const found = await findRow(ctx.db, def.table, (request.params as { id: string }).id, def.label)
    const updated = await ctx.writes.run({ actor: actorOf(principalOf(request)), action: 'update', type: def.type, requestId: request.id }, async (trx) => {
      const row = await lockVersioned(trx, def.table, found.id, expected, def.label)
      const before = await one(trx, row as RowOf<T>)
      await def.update(trx, row as RowOf<T>, request.body as Static<Update>)
      await bump(trx, found.id)
      const after = await one(trx, await findRow(trx, def.table, found.id, def.label))
      return { id: found.id, before, after, result: after }
    })
    reply.header('etag', etag((updated as { version: number }).version))
    return updated
  })

  app.delete(`${base}/:id`, { config, schema: untypedSchema({ tags, summary: `Delete a ${def.label} (If-Match: its version)`, params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409, 412) } }) }, async (request, reply) => {
    const expected = parseIfMatch(request.headers['if-match'])
    const found = await findRow(ctx.db, def.table, (request.params as { id: string }).id, def.label)
    await ctx.writes.run({ actor: actorOf(principalOf(request)), action: 'delete', type: def.type, requestId: request.id }, async (trx) => {
      const row = await lockVersioned(trx, def.table, found.id, expected, def.label)
      const before = await one(trx, row as RowOf<T>)
      await def.beforeDelete?.(trx, row as RowOf<T>)
      await (trx as StudioDb).deleteFrom(def.table as 'llms').where('id', '=', found.id).execute()
      return { id: found.id, before, after: undefined, result: undefined }
    })
    return reply.code(204).send(null)
  })
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

/**
 * An http(s) base URL without credentials in it (`user:pass@` would be
 * stored, shown and logged as any URL is): secrets go in their own
 * encrypted fields.
 */
export const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://[^/?#@\\s]+(?:[/?#]|$)', maxLength: 2048, description: 'http(s), without user:password@ (credentials go in their own field).' })

/** The `?q=` text filter of a list, searching `what` (see `containsText`). */
export function TextQuery(what: string) {
  return Type.Optional(Type.String({ maxLength: 100, description: `Part of the ${what}.` }))
}

/** How the lists of objects named by a slug sort: by slug by default, or by name or time. */
export const SLUG_NAMED_SORTS = {
  sortable: { slug: 'slug', name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' },
  defaultSort: 'slug',
}

/** A slug: lower-case letters, digits and dashes, as gateway routes (/llm/{slug}) take it. */
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', minLength: 1, maxLength: 63 })
