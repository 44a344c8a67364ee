import { Type, type Static } from 'typebox'
import { actorOf, principalOf, type Principal } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuerySchema, Page } from '../api/list.js'
import { errorResponses, etag, findRow, IdParams, SLUG_NAMED_SORTS } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import { StudioError, notFound } from '../errors.js'
import { registerAppKeyRoutes } from './app-keys.js'
import { App, AppCreate, presentApps, type AppCreateBody } from './apps.js'
import { usableLlms } from './my-llms.js'

/** The most apps one user may own through `/me/apps`, and keys each may hold: what one portal user can add to the gateway's config. */
export const MY_APPS_QUOTA = { apps: 50, keys: { active: 10, total: 100 } }

/** An app the caller creates for themself: an admin's create body without `ownerId` (the owner is the caller). */
const MyAppCreate = Type.Omit(AppCreate, ['ownerId'], { additionalProperties: false })
export type MyAppCreateBody = Static<typeof MyAppCreate>

/**
 * The app `idOrSlug` names when `principal` owns it. Another user's app
 * answers exactly as a missing one (404 NOT_FOUND), so nobody learns which
 * apps others have.
 */
export async function ownedApp(db: StudioDb, principal: Pick<Principal, 'userId'>, idOrSlug: string): Promise<Row<'apps'>> {
  const row = await findRow(db, 'apps', idOrSlug, 'app')
  if (row.owner_id !== principal.userId) throw notFound('app', idOrSlug)
  return row
}

/**
 * VALIDATION_FAILED at `/allowedLlms/{i}` for each LLM the caller may not
 * use. An LLM that does not exist is refused the same way: a portal user
 * does not learn the names of LLMs their groups are not granted.
 */
async function checkUsable(db: StudioDb, principal: Principal, refs: readonly string[]): Promise<void> {
  if (refs.length === 0) return
  const usable = await usableLlms(db, principal)
    .where((eb) => eb.or([eb('id', 'in', [...refs]), eb('slug', 'in', [...refs])]))
    .select(['id', 'slug'])
    .execute()
  const names = new Set(usable.flatMap((llm) => [llm.id, llm.slug]))
  const refused = refs.flatMap((ref, index) => (names.has(ref) ? [] : [{ path: `/allowedLlms/${index}`, message: 'is not an LLM you may use (see GET /api/v1/me/llms)' }]))
  if (refused.length > 0) throw new StudioError('VALIDATION_FAILED', `${refused.length === 1 ? 'one LLM' : `${refused.length} LLMs`} of allowedLlms ${refused.length === 1 ? 'is' : 'are'} not granted to your groups`, { details: refused.slice(0, 20) })
}

/**
 * The signed-in user's own apps (`/me/apps`): list, get, create — through
 * the apps resource's write path (object hooks, audit as the user, change
 * feed) with the caller as owner — and their keys, by the admin key routes'
 * code over the caller's apps only.
 */
export function registerMyAppRoutes(app: Api, ctx: StudioContext): void {
  const config = { access: 'user' as const }
  const tags = ['auth']
  const base = `${API_PREFIX}/me/apps`

  app.get(
    base,
    { config, schema: { tags, summary: 'The apps the signed-in user owns', querystring: ListQuerySchema({}), response: { 200: Page(App), ...errorResponses(401, 422) } } },
    async (request) => {
      const mine = ctx.db.selectFrom('apps').selectAll().where('owner_id', '=', principalOf(request).userId)
      const page = await listPage(mine, { ...SLUG_NAMED_SORTS, idColumn: 'id', query: request.query })
      return { items: await presentApps(page.items, ctx.db), nextCursor: page.nextCursor }
    },
  )

  app.get(
    `${base}/:id`,
    { config, schema: { tags, summary: 'One of the signed-in user\'s apps, by id or slug (another user\'s app is 404)', params: IdParams, response: { 200: App, ...errorResponses(401, 404) } } },
    async (request, reply) => {
      const row = await ownedApp(ctx.db, principalOf(request), request.params.id)
      reply.header('etag', etag(row.version))
      return (await presentApps([row], ctx.db))[0]!
    },
  )

  app.post(
    base,
    { config, schema: { tags, summary: 'Create an app the signed-in user owns, allowed only LLMs their groups are granted', body: MyAppCreate, response: { 201: App, ...errorResponses(401, 409, 422, 503) } } },
    async (request, reply) => {
      const principal = principalOf(request)
      await checkUsable(ctx.db, principal, request.body.allowedLlms ?? [])
      const [owned] = await ctx.db.selectFrom('apps').select((eb) => eb.fn.countAll<string>().as('n')).where('owner_id', '=', principal.userId).execute()
      if (Number(owned!.n) >= MY_APPS_QUOTA.apps) throw new StudioError('QUOTA_EXCEEDED', `you own ${MY_APPS_QUOTA.apps} apps, the most one user may make here: delete one, or ask an admin`)
      const body: AppCreateBody = { ...request.body, ownerId: principal.userId }
      const created = (await ctx.resources.get('app').create(body, { actor: actorOf(principal), requestId: request.id })) as Static<typeof App>
      return reply.code(201).header('etag', etag(created.version)).header('location', `${base}/${created.id}`).send(created)
    },
  )

  registerAppKeyRoutes(app, ctx, { appPath: `${base}/:id`, access: 'user', tags, appOf: (request, id) => ownedApp(ctx.db, principalOf(request), id), keyQuota: MY_APPS_QUOTA.keys })
}
