import { budgetPeriodOf } from '@plugboard/gateway'
import { Type, type Static } from 'typebox'
import { usageBy } from '../analytics/analytics-queries.js'
import { principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuerySchema, Page } from '../api/list.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { Budget, presentBudgets } from './budgets.js'

const Counts = {
  requests: Type.Number(),
  promptTokens: Type.Number(),
  completionTokens: Type.Number(),
  costUsd: Type.Number(),
  errors: Type.Number({ description: 'Requests answered 400 or more.' }),
}
const MyUsage = Type.Object({
  from: Type.String({ format: 'date-time', description: 'The start of the current period: the UTC calendar month, as monthly budgets count it.' }),
  to: Type.String({ format: 'date-time' }),
  total: Type.Object(Counts, { description: "All of the caller's apps and chats together." }),
  items: Type.Array(Type.Object({ app: Type.String({ description: "The app's slug; `studio:chat` for the caller's chats with LLMs in Studio." }), ...Counts }), { description: 'Per app, largest first (by requests); apps without requests are left out.' }),
})

export type MyUsageItem = Static<typeof MyUsage>

/**
 * What the signed-in user's apps spent: their requests, tokens and cost in
 * the current month (the analytics queries over the caller's apps only), and
 * the budgets on those apps with their live spending and reset time.
 */
export function registerMyUsageRoutes(app: Api, ctx: StudioContext): void {
  const config = { access: 'user' as const }
  const tags = ['auth']
  const mine = (userId: string) => ctx.db.selectFrom('apps').select('id').where('owner_id', '=', userId)

  app.get(
    `${API_PREFIX}/me/usage`,
    { config, schema: { tags, summary: "Requests, tokens and cost of the signed-in user's apps this month", response: { 200: MyUsage, ...errorResponses(401) } } },
    async (request) => {
      const now = Date.now()
      const period = budgetPeriodOf({ kind: 'monthly' }, now)
      const userId = principalOf(request).userId
      const apps = await ctx.db.selectFrom('apps').select(['slug', 'created_at']).where('owner_id', '=', userId).execute()
      const filter = { from: new Date(period.startsAt), to: new Date(now), apps: apps.map((app) => ({ slug: app.slug, since: app.created_at })), chatUser: userId }
      const rows = await usageBy(ctx.db, filter, 'app')
      const total = { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, errors: 0 }
      for (const row of rows) for (const count of Object.keys(total) as (keyof typeof total)[]) total[count] += row[count]
      return { from: filter.from.toISOString(), to: filter.to.toISOString(), total, items: rows.map(({ key, ...counts }) => ({ app: key ?? '', ...counts })) }
    },
  )

  app.get(
    `${API_PREFIX}/me/budgets`,
    {
      config,
      schema: { tags, summary: "The budgets on the signed-in user's apps: limit, spent, period and when it resets", querystring: ListQuerySchema({}), response: { 200: Page(Budget), ...errorResponses(401, 422) } },
    },
    async (request) => {
      const budgets = ctx.db.selectFrom('budgets').selectAll().where('app_id', 'in', mine(principalOf(request).userId))
      const page = await listPage(budgets, { sortable: { createdAt: 'created_at' }, defaultSort: 'createdAt', idColumn: 'id', query: request.query })
      return { items: await presentBudgets(page.items, ctx.db, ctx), nextCursor: page.nextCursor }
    },
  )
}
