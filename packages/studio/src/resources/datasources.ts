import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { actorOf, principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { containsText, listPage, ListQuerySchema, Page } from '../api/list.js'
import { errorResponses, findRow, IdParams, registerResource, Slug, SLUG_NAMED_SORTS, TextQuery, Timestamps, timestamps } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { lockVersioned, type Trx } from '../api/writes.js'
import { chunkText, type DocumentContentType } from '../datasources/chunker.js'
import { indexChunks, MAX_QUERY_CHARS, MAX_QUERY_LIMIT, queryDatasource, reindexDatasource, SEARCH_LANGUAGES } from '../datasources/search.js'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import { notFound, StudioError } from '../errors.js'
import { removeGrants } from './groups.js'

/** The largest document upload, JSON or raw text. */
const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
/** The most chunks a document is cut into: 5 MB of prose is about 6,000; only a document of little more than headings reaches it. */
const MAX_DOCUMENT_CHUNKS = 20_000
const TEXT_TYPES = ['text/plain', 'text/markdown'] as const
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

const Language = Type.Enum([...SEARCH_LANGUAGES], { description: 'The PostgreSQL text search configuration documents are indexed and queried with.' })
const Name = Type.String({ minLength: 1, maxLength: 200 })
const Description = Type.String({ maxLength: 2000 })

/** A datasource as the API presents it, with its document and chunk counts. */
export const Datasource = Type.Object({
  id: Type.String(),
  slug: Slug,
  name: Type.String(),
  description: Type.String(),
  language: Type.String(),
  documents: Type.Integer(),
  chunks: Type.Integer(),
  ...Timestamps,
})

const DatasourceCreate = Type.Object({ slug: Slug, name: Type.Optional(Name), description: Type.Optional(Description), language: Type.Optional(Language) }, { additionalProperties: false })
const DatasourceUpdate = Type.Object(
  { slug: Type.Optional(Slug), name: Type.Optional(Name), description: Type.Optional(Description), language: Type.Optional(Language) },
  { additionalProperties: false, minProperties: 1 },
)

const DocumentName = Type.String({ minLength: 1, maxLength: 500 })
const ContentType = Type.Union(TEXT_TYPES.map((t) => Type.Literal(t)))

/** A document as the API presents it (without its content). */
export const DocumentItem = Type.Object({
  id: Type.String(),
  datasourceId: Type.String(),
  name: Type.String(),
  contentType: Type.String(),
  bytes: Type.Integer(),
  chunks: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
})

const DocumentUpload = Type.Object({ name: DocumentName, content: Type.String({ maxLength: MAX_DOCUMENT_BYTES }), contentType: ContentType }, { additionalProperties: false })
const RawDocument = Type.String({ maxLength: MAX_DOCUMENT_BYTES, description: 'The document itself; its name in `?name=`.' })

const ChunkMatch = Type.Object({ documentId: Type.String(), documentName: Type.String(), ordinal: Type.Integer(), content: Type.String(), score: Type.Number() })
const Query = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS, description: 'Words, "quoted phrases", `or`, and `-word` to exclude, as in a web search box.' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_QUERY_LIMIT, default: 10 })),
  },
  { additionalProperties: false },
)

export type DatasourceItem = Static<typeof Datasource>
export type DatasourceCreateBody = Static<typeof DatasourceCreate>
export type DocumentListItem = Static<typeof DocumentItem>
export type ChunkMatchItem = Static<typeof ChunkMatch>

function presentDocument(row: Row<'documents'>): Static<typeof DocumentItem> {
  return { id: row.id, datasourceId: row.datasource_id, name: row.name, contentType: row.content_type, bytes: row.bytes, chunks: row.chunks, createdAt: row.created_at.toISOString() }
}

/**
 * A document's text without its NUL characters, which PostgreSQL text cannot
 * hold: a text file with one (a stray byte, a UTF-16 export) is taken as the
 * text around them rather than refused.
 */
const withoutNul = (text: string) => text.replaceAll('\0', '')

/** What was uploaded, whichever way: a JSON object, or the raw text with `?name=`. */
function readUpload(request: FastifyRequest): { name: string; contentType: DocumentContentType; content: string } {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  const textType = TEXT_TYPES.find((t) => t === mediaType)
  if (textType) {
    const name = (request.query as { name?: string }).name
    if (name === undefined) throw new StudioError('VALIDATION_FAILED', 'a raw text upload needs its name in ?name=', { details: [{ path: 'query/name', message: 'is required for a text/plain or text/markdown body' }] })
    // An empty body is not parsed at all: it is a blank document.
    return { name, contentType: textType, content: (request.body as string | undefined) ?? '' }
  }
  // Fastify picks the body schema by content type: a request with neither has had nothing checked.
  if (request.body === undefined && mediaType === '') throw new StudioError('UNSUPPORTED_CONTENT_TYPE', `send the document as application/json, ${TEXT_TYPES.join(' or ')}`)
  return request.body as Static<typeof DocumentUpload>
}

/** Datasources with their document and chunk counts: one query for the whole page. */
export async function presentDatasources(rows: Row<'datasources'>[], db: StudioDb | Trx): Promise<Static<typeof Datasource>[]> {
  const totals =
    rows.length === 0
      ? []
      : await db
          .selectFrom('documents')
          .select((eb) => ['datasource_id', eb.fn.countAll<string>().as('documents'), eb.fn.sum<string>('chunks').as('chunks')])
          .where(
            'datasource_id',
            'in',
            rows.map((r) => r.id),
          )
          .groupBy('datasource_id')
          .execute()
  const byId = new Map(totals.map((t) => [t.datasource_id, t]))
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    language: row.language,
    documents: Number(byId.get(row.id)?.documents ?? 0),
    chunks: Number(byId.get(row.id)?.chunks ?? 0),
    ...timestamps(row),
  }))
}

/** Datasources: CRUD, their documents, and querying them. */
export function registerDatasourceRoutes(app: Api, ctx: StudioContext): void {
  registerResource(app, ctx, {
    table: 'datasources',
    beforeDelete: (trx, row) => removeGrants(trx, 'datasource', row.id),
    type: 'datasource',
    label: 'datasource',
    plural: 'datasources',
    access: 'admin',
    schemas: { item: Datasource, create: DatasourceCreate, update: DatasourceUpdate, filters: { q: TextQuery('slug or name') } },
    ...SLUG_NAMED_SORTS,
    filter: (query, { q }) => (q ? query.where(containsText(['slug', 'name'], q)) : query),
    present: presentDatasources,
    insert: async (trx, body) => {
      const id = randomUUID()
      await trx
        .insertInto('datasources')
        .values({ id, slug: body.slug, name: body.name ?? body.slug, description: body.description ?? '', language: body.language ?? 'english' })
        .execute()
      return id
    },
    update: async (trx, row, patch) => {
      await trx
        .updateTable('datasources')
        .set({
          ...(patch.slug !== undefined && { slug: patch.slug }),
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.language !== undefined && { language: patch.language }),
        })
        .where('id', '=', row.id)
        .execute()
      if (patch.language !== undefined && patch.language !== row.language) await reindexDatasource(trx, row.id, patch.language)
    },
  })

  const tags = ['datasources']
  const config = { access: 'admin' as const }
  const base = `${API_PREFIX}/datasources/:id`

  // Its own scope: the raw text parsers (and the 5 MB limit) are for this route only.
  void app.register(async (plugin) => {
    const scoped = plugin.withTypeProvider<TypeBoxTypeProvider>()
    scoped.removeContentTypeParser('text/plain')
    scoped.addContentTypeParser([...TEXT_TYPES], { parseAs: 'buffer' }, (_request, body, done) => {
      // Decoded leniently, binary junk would be indexed as replacement characters.
      try {
        done(null, withoutNul(STRICT_UTF8.decode(body as Buffer)))
      } catch {
        done(new StudioError('VALIDATION_FAILED', 'the document is not UTF-8 text', { details: [{ path: '/content', message: 'is not valid UTF-8' }] }))
      }
    })
    scoped.post(
      `${base}/documents`,
      {
        config,
        bodyLimit: MAX_DOCUMENT_BYTES,
        // Before validation, which refuses NUL in any other string.
        preValidation: async (request) => {
          const upload = request.body as { content?: unknown } | undefined
          if (typeof upload?.content === 'string') upload.content = withoutNul(upload.content)
        },
        schema: {
          tags,
          summary: 'Upload a text or markdown document: chunked and indexed for search',
          params: IdParams,
          querystring: Type.Object({ name: Type.Optional(DocumentName) }, { additionalProperties: false }),
          body: { content: { 'application/json': { schema: DocumentUpload }, 'text/plain': { schema: RawDocument }, 'text/markdown': { schema: RawDocument } } },
          response: { 201: DocumentItem, ...errorResponses(401, 403, 404, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const upload = readUpload(request)
        const chunks = chunkText(upload.content, { contentType: upload.contentType, limit: MAX_DOCUMENT_CHUNKS })
        if (chunks.length > MAX_DOCUMENT_CHUNKS) throw new StudioError('VALIDATION_FAILED', `the document cuts into more than ${MAX_DOCUMENT_CHUNKS} chunks (headings or paragraphs with almost nothing under them): merge its sections`, { details: [{ path: '/content', message: `is more than ${MAX_DOCUMENT_CHUNKS} chunks` }] })
        if (chunks.length === 0) throw new StudioError('VALIDATION_FAILED', 'the document is blank', { details: [{ path: '/content', message: 'is blank' }] })
        const found = await findRow(ctx.db, 'datasources', request.params.id, 'datasource')
        const document = await ctx.writes.run({ actor: actorOf(principalOf(request)), action: 'create', type: 'document', requestId: request.id }, async (trx) => {
          // Locked: a language change waits for the upload rather than miss its chunks.
          const datasource = await lockVersioned(trx, 'datasources', found.id, undefined, 'datasource')
          const row = await trx
            .insertInto('documents')
            .values({ id: randomUUID(), datasource_id: datasource.id, name: upload.name, content_type: upload.contentType, bytes: Buffer.byteLength(upload.content), chunks: chunks.length })
            .returningAll()
            .executeTakeFirstOrThrow()
          await indexChunks(trx, { datasourceId: datasource.id, documentId: row.id, language: datasource.language }, chunks)
          const after = presentDocument(row)
          return { id: row.id, before: undefined, after, result: after }
        })
        reply.code(201).header('location', `${API_PREFIX}/datasources/${found.id}/documents/${document.id}`)
        return document
      },
    )
  })

  app.get(
    `${base}/documents`,
    { config, schema: { tags, summary: "List a datasource's documents", params: IdParams, querystring: ListQuerySchema({}), response: { 200: Page(DocumentItem), ...errorResponses(401, 403, 404, 422) } } },
    async (request) => {
      const datasource = await findRow(ctx.db, 'datasources', request.params.id, 'datasource')
      const page = await listPage(ctx.db.selectFrom('documents').selectAll().where('datasource_id', '=', datasource.id), {
        sortable: { name: 'name', createdAt: 'created_at' },
        defaultSort: 'createdAt',
        idColumn: 'id',
        query: request.query,
      })
      return { items: page.items.map(presentDocument), nextCursor: page.nextCursor }
    },
  )

  app.delete(
    `${base}/documents/:documentId`,
    {
      config,
      schema: { tags, summary: 'Delete a document and its chunks', params: Type.Object({ id: IdParams.properties.id, documentId: Type.String({ minLength: 1, maxLength: 128 }) }), response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      const datasource = await findRow(ctx.db, 'datasources', request.params.id, 'datasource')
      await ctx.writes.run({ actor: actorOf(principalOf(request)), action: 'delete', type: 'document', requestId: request.id }, async (trx) => {
        const row = await trx.deleteFrom('documents').where('id', '=', request.params.documentId).where('datasource_id', '=', datasource.id).returningAll().executeTakeFirst()
        if (!row) throw notFound('document', request.params.documentId)
        return { id: row.id, before: presentDocument(row), after: undefined, result: undefined }
      })
      return reply.code(204).send(null)
    },
  )

  app.post(
    `${base}/query`,
    { config, schema: { tags, summary: "Search a datasource's chunks, best match first", params: IdParams, body: Query, response: { 200: Type.Object({ items: Type.Array(ChunkMatch) }), ...errorResponses(401, 403, 404, 422) } } },
    async (request) => ({ items: await queryDatasource(ctx.db, request.params.id, request.body.query, request.body.limit ?? 10) }),
  )
}
