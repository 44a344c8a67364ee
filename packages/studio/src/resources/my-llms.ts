import { principalOf, type Principal } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuerySchema, Page } from '../api/list.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import type { StudioDb } from '../db/database.js'
import { Llm, presentLlm } from './llms.js'

/**
 * The enabled LLMs `principal` may use: every one for an admin; for a
 * portal user those granted to any group they are a member of.
 */
export function usableLlms(db: StudioDb, principal: Pick<Principal, 'userId' | 'role'>) {
  const enabled = db.selectFrom('llms').selectAll().where('enabled', '=', true)
  if (principal.role === 'admin') return enabled
  return enabled.where('id', 'in', (eb) =>
    eb
      .selectFrom('group_grants')
      .innerJoin('group_members', 'group_members.group_id', 'group_grants.group_id')
      .select('group_grants.target_id')
      .where('group_grants.kind', '=', 'llm')
      .where('group_members.user_id', '=', principal.userId),
  )
}

export function registerMyLlmRoutes(app: Api, ctx: StudioContext): void {
  app.get(
    `${API_PREFIX}/me/llms`,
    {
      config: { access: 'user' },
      schema: { tags: ['auth'], summary: 'The LLMs the signed-in user may use (admins: every enabled one; portal users: those granted to their groups)', querystring: ListQuerySchema({}), response: { 200: Page(Llm), ...errorResponses(401, 422) } },
    },
    async (request) => {
      const page = await listPage(usableLlms(ctx.db, principalOf(request)), { sortable: { slug: 'slug', name: 'name' }, defaultSort: 'slug', idColumn: 'id', query: request.query })
      return { items: page.items.map(presentLlm), nextCursor: page.nextCursor }
    },
  )
}
