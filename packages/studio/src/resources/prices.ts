import { Type, type Static } from 'typebox'
import { actorOf, principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuerySchema, Page } from '../api/list.js'
import { errorResponses, etag, TextQuery, timestamps, Timestamps } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { parseIfMatch, type Trx } from '../api/writes.js'
import type { Row } from '../db/schema.js'
import { StudioError, notFound } from '../errors.js'
import { containsText } from '../api/list.js'

const Usd = Type.Number({ minimum: 0, maximum: 1e6, description: 'USD per million tokens.' })

export const ModelPrice = Type.Object({ model: Type.String(), input: Usd, output: Usd, ...Timestamps })
const PriceBody = Type.Object({ input: Usd, output: Usd }, { additionalProperties: false })
/** A model name may hold slashes (`accounts/x/models/y`): send it URL-encoded. */
const ModelParams = Type.Object({ model: Type.String({ minLength: 1, maxLength: 200, description: 'The model name, URL-encoded.' }) })

export type ModelPriceItem = Static<typeof ModelPrice>
export type ModelPriceBody = Static<typeof PriceBody>

export function presentModelPrice(row: Row<'model_prices'>): ModelPriceItem {
  return { model: row.model, input: row.input, output: row.output, ...timestamps(row) }
}

function lockPrice(trx: Trx, model: string) {
  return trx.selectFrom('model_prices').selectAll().where('model', '=', model).forUpdate().executeTakeFirst()
}

function staleVersion(model: string, current: number | undefined, expected: number): StudioError {
  return new StudioError('VERSION_MISMATCH', current === undefined ? `model price "${model}" does not exist, so it is not at version ${expected}: PUT it without If-Match` : `model price "${model}" is at version ${current}, not ${expected}: read it again and retry`)
}

/**
 * The price per model, keyed by the model's name rather than an id, hence
 * not a `registerResource`: PUT creates or replaces.
 */
export function registerPriceRoutes(app: Api, ctx: StudioContext): void {
  const tags = ['model-prices']
  const config = { access: 'admin' as const }
  const base = `${API_PREFIX}/model-prices`
  const write = (request: Parameters<typeof principalOf>[0], action: string) => ({ actor: actorOf(principalOf(request)), action, type: 'model_price' as const, requestId: request.id })

  app.get(
    base,
    {
      config,
      schema: {
        tags,
        summary: 'List model prices',
        querystring: ListQuerySchema({ q: TextQuery('model name') }),
        response: { 200: Page(ModelPrice), ...errorResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const { q } = request.query
      let query = ctx.db.selectFrom('model_prices').selectAll()
      if (q) query = query.where(containsText(['model'], q))
      const page = await listPage(query, { sortable: { model: 'model', updatedAt: 'updated_at' }, defaultSort: 'model', idColumn: 'model', query: request.query })
      return { items: page.items.map(presentModelPrice), nextCursor: page.nextCursor }
    },
  )

  app.get(`${base}/:model`, { config, schema: { tags, summary: "A model's price", params: ModelParams, response: { 200: ModelPrice, ...errorResponses(401, 403, 404) } } }, async (request, reply) => {
    const row = await ctx.db.selectFrom('model_prices').selectAll().where('model', '=', request.params.model).executeTakeFirst()
    if (!row) throw notFound('model price', request.params.model)
    return reply.header('etag', etag(row.version)).send(presentModelPrice(row))
  })

  app.put(
    `${base}/:model`,
    {
      config,
      schema: {
        tags,
        summary: "Set a model's price: creates it (201) or replaces it (200; If-Match: its version)",
        params: ModelParams,
        body: PriceBody,
        response: { 200: ModelPrice, 201: ModelPrice, ...errorResponses(400, 401, 403, 412, 422) },
      },
    },
    async (request, reply) => {
      const { model } = request.params
      const expected = parseIfMatch(request.headers['if-match'])
      const { input, output } = request.body
      const { created, price } = await ctx.writes.run(write(request, 'put'), async (trx) => {
        let current = await lockPrice(trx, model)
        if (!current) {
          if (expected !== undefined) throw staleVersion(model, undefined, expected)
          const inserted = await trx.insertInto('model_prices').values({ model, input, output }).onConflict((oc) => oc.column('model').doNothing()).returningAll().executeTakeFirst()
          if (inserted) return { id: model, before: undefined, after: presentModelPrice(inserted), result: { created: true, price: presentModelPrice(inserted) } }
          // A concurrent PUT created it since the lock found nothing: replace that one.
          current = (await lockPrice(trx, model))!
        }
        if (expected !== undefined && current.version !== expected) throw staleVersion(model, current.version, expected)
        const updated = await trx
          .updateTable('model_prices')
          .set((eb) => ({ input, output, version: eb('version', '+', 1), updated_at: new Date() }))
          .where('model', '=', model)
          .returningAll()
          .executeTakeFirstOrThrow()
        return { id: model, before: presentModelPrice(current), after: presentModelPrice(updated), result: { created: false, price: presentModelPrice(updated) } }
      })
      return reply.code(created ? 201 : 200).header('etag', etag(price.version)).send(price)
    },
  )

  app.delete(`${base}/:model`, { config, schema: { tags, summary: "Delete a model's price (If-Match: its version)", params: ModelParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 412) } } }, async (request, reply) => {
    const { model } = request.params
    const expected = parseIfMatch(request.headers['if-match'])
    await ctx.writes.run(write(request, 'delete'), async (trx) => {
      const current = await lockPrice(trx, model)
      if (!current) throw notFound('model price', model)
      if (expected !== undefined && current.version !== expected) throw staleVersion(model, current.version, expected)
      await trx.deleteFrom('model_prices').where('model', '=', model).execute()
      return { id: model, before: presentModelPrice(current), after: undefined, result: undefined }
    })
    return reply.code(204).send(null)
  })
}
