import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'
import type { StudioContext } from '../api/context.js'
import { findRow, registerResource, Slug, SLUG_NAMED_SORTS, TextQuery, Timestamps, timestamps } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import type { Trx } from '../api/writes.js'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import { StudioError } from '../errors.js'
import { registerAppKeyRoutes } from './app-keys.js'
import { containsText } from '../api/list.js'
import { resolveReferences } from './references.js'

const METADATA_MAX_BYTES = 16 * 1024

const Name = Type.String({ minLength: 1, maxLength: 200 })
const OwnerId = Type.String({ minLength: 1, maxLength: 128, description: 'The id of the user who owns the app.' })
const AllowedLlms = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
  maxItems: 500,
  uniqueItems: true,
  description: 'The LLMs the app may call, by slug or id (presented as slugs). "*" (every LLM) is not supported: list each one; an empty list allows none.',
})
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: 64,
  // TypeBox leaves a key schema's length out of the record it makes.
  propertyNames: { minLength: 1, maxLength: 128 },
  description: 'Free-form JSON for the app (plugins read it): at most 64 keys and 16 KB as JSON.',
})

export const App = Type.Object({
  id: Type.String(),
  slug: Slug,
  name: Type.String(),
  ownerId: Type.Union([Type.String(), Type.Null()]),
  allowedLlms: Type.Array(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  enabled: Type.Boolean(),
  ...Timestamps,
})

export const AppCreate = Type.Object(
  { slug: Slug, name: Type.Optional(Name), ownerId: Type.Optional(OwnerId), allowedLlms: Type.Optional(AllowedLlms), metadata: Type.Optional(Metadata), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)

const AppUpdate = Type.Object(
  {
    slug: Type.Optional(Slug),
    name: Type.Optional(Name),
    ownerId: Type.Optional(Type.Union([OwnerId, Type.Null()], { description: 'null: no owner.' })),
    allowedLlms: Type.Optional(AllowedLlms),
    metadata: Type.Optional(Metadata),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)

export type AppItem = Static<typeof App>
export type AppCreateBody = Static<typeof AppCreate>
export type AppUpdateBody = Static<typeof AppUpdate>

/** Apps with their allowed LLMs' slugs: one query for the whole page. */
export async function presentApps(rows: Row<'apps'>[], db: StudioDb | Trx): Promise<AppItem[]> {
  const allowed = rows.length
    ? await db
        .selectFrom('app_llms')
        .innerJoin('llms', 'llms.id', 'app_llms.llm_id')
        .select(['app_llms.app_id', 'llms.slug'])
        .where('app_llms.app_id', 'in', rows.map((row) => row.id))
        .orderBy('llms.slug')
        .execute()
    : []
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    ownerId: row.owner_id,
    allowedLlms: allowed.filter((a) => a.app_id === row.id).map((a) => a.slug),
    metadata: row.metadata,
    enabled: row.enabled,
    ...timestamps(row),
  }))
}

/** The metadata as stored; VALIDATION_FAILED past 16 KB (the schema bounds its keys). */
function metadataJson(metadata: Record<string, unknown>): string {
  const json = JSON.stringify(metadata)
  if (Buffer.byteLength(json) > METADATA_MAX_BYTES) {
    throw new StudioError('VALIDATION_FAILED', `metadata is ${Buffer.byteLength(json)} bytes as JSON; at most ${METADATA_MAX_BYTES}`, { details: [{ path: '/metadata', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` }] })
  }
  return json
}

async function setAllowedLlms(trx: Trx, appId: string, refs: string[]): Promise<void> {
  const llmIds = await resolveReferences(trx, 'llms', refs, '/allowedLlms')
  await trx.deleteFrom('app_llms').where('app_id', '=', appId).execute()
  if (llmIds.length > 0) await trx.insertInto('app_llms').values(llmIds.map((llm_id) => ({ app_id: appId, llm_id }))).execute()
}

export function registerAppRoutes(app: Api, ctx: StudioContext): void {
  registerResource(app, ctx, {
    table: 'apps',
    type: 'app',
    label: 'app',
    plural: 'apps',
    access: 'admin',
    schemas: {
      item: App,
      create: AppCreate,
      update: AppUpdate,
      filters: {
        ownerId: Type.Optional(Type.String({ maxLength: 128 })),
        enabled: Type.Optional(Type.Boolean()),
        q: TextQuery('slug or name'),
      },
    },
    ...SLUG_NAMED_SORTS,
    filter: (query, { ownerId, enabled, q }) => {
      let filtered = query
      if (ownerId) filtered = filtered.where('owner_id', '=', ownerId)
      if (enabled !== undefined) filtered = filtered.where('enabled', '=', enabled)
      if (q) filtered = filtered.where(containsText(['slug', 'name'], q))
      return filtered
    },
    present: presentApps,
    insert: async (trx, body) => {
      const id = randomUUID()
      // An unknown ownerId fails the foreign key: REFERENCE_NOT_FOUND at /ownerId.
      await trx
        .insertInto('apps')
        .values({ id, slug: body.slug, name: body.name ?? body.slug, owner_id: body.ownerId ?? null, metadata: metadataJson(body.metadata ?? {}), enabled: body.enabled ?? true })
        .execute()
      await setAllowedLlms(trx, id, body.allowedLlms ?? [])
      return id
    },
    update: async (trx, row, patch) => {
      await trx
        .updateTable('apps')
        .set({
          ...(patch.slug !== undefined && { slug: patch.slug }),
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.ownerId !== undefined && { owner_id: patch.ownerId }),
          ...(patch.metadata !== undefined && { metadata: metadataJson(patch.metadata) }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        })
        .where('id', '=', row.id)
        .execute()
      if (patch.allowedLlms !== undefined) await setAllowedLlms(trx, row.id, patch.allowedLlms)
    },
  })
  registerAppKeyRoutes(app, ctx, { appPath: `${API_PREFIX}/apps/:id`, access: 'admin', tags: ['apps'], appOf: (_request, id) => findRow(ctx.db, 'apps', id, 'app') })
}
