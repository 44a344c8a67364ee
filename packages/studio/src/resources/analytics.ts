import { Type, type Static } from 'typebox'
import { DEFAULT_SPLIT_LIMIT, latencyBy, MAX_GROUPS, MAX_SPLIT_LIMIT, topApps, usageBy, filteredRequests, type RequestFilter } from '../analytics/analytics-queries.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuery, Page } from '../api/list.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { TimeRangeQuery, timeRangeOf } from '../api/time-range.js'
import type { Row } from '../db/schema.js'

/** Analytics look at the last 30 days unless told otherwise. */
const DEFAULT_DAYS = 30
const Name = Type.String({ minLength: 1, maxLength: 256 })

/** The filters every analytics route takes. */
const Filters = {
  ...TimeRangeQuery,
  app: Type.Optional(Type.String({ ...Name, description: 'An app, as the gateway names it (its slug).' })),
  llm: Type.Optional(Type.String({ ...Name, description: "An LLM's slug." })),
  model: Type.Optional(Name),
}

const UsageQuery = Type.Object(
  {
    ...Filters,
    groupBy: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('llm'), Type.Literal('model'), Type.Literal('day')], { default: 'day' })),
    split: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('llm'), Type.Literal('model')], { description: 'Each group split again: a row per group and app, LLM or model (`split` in the row).' })),
    splitLimit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_SPLIT_LIMIT, default: DEFAULT_SPLIT_LIMIT, description: 'With `split`: the splits with the most requests over the range that keep rows of their own; the rest are summed per group into a row with `other: true`.' }),
    ),
  },
  { additionalProperties: false },
)
const LatencyQuery = Type.Object(
  { ...Filters, groupBy: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('app'), Type.Literal('llm'), Type.Literal('model'), Type.Literal('day')], { default: 'none' })) },
  { additionalProperties: false },
)
const TopAppsQuery = Type.Object(
  {
    ...Filters,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    by: Type.Optional(Type.Union([Type.Literal('cost'), Type.Literal('requests'), Type.Literal('tokens')], { default: 'cost' })),
  },
  { additionalProperties: false },
)
const RequestLogQuery = Type.Object(
  {
    ...ListQuery,
    ...Filters,
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 999 })),
    aborted: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const Key = Type.Union([Type.String(), Type.Null()], { description: 'The app id, LLM slug, model or UTC day (YYYY-MM-DD); null for requests without one (refused before auth), or for groupBy=none.' })
const Range = { from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }
const UsageRow = Type.Object({
  key: Key,
  split: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'With `split`: the app id, LLM slug or model within the group (null: requests without one, or an `other` row).' })),
  other: Type.Optional(Type.Literal(true, { description: 'With `split`: this row sums the splits past the `splitLimit` largest.' })),
  requests: Type.Number(), promptTokens: Type.Number(), completionTokens: Type.Number(), costUsd: Type.Number(), errors: Type.Number({ description: 'Requests answered 400 or more.' }),
})
const LatencyRow = Type.Object({ key: Key, p50: Type.Number(), p90: Type.Number(), p99: Type.Number(), requests: Type.Number() }, { description: 'Milliseconds from receipt to the end of the response.' })
const UsageAnswer = Type.Object({ ...Range, items: Type.Array(UsageRow) })
const LatencyAnswer = Type.Object({ ...Range, items: Type.Array(LatencyRow) })
/** `GET /analytics/usage` and `/analytics/top-apps`: the range covered and a row per group. */
export type UsageAnswerItem = Static<typeof UsageAnswer>
/** `GET /analytics/latency`. */
export type LatencyAnswerItem = Static<typeof LatencyAnswer>
/** The query of `GET /analytics/usage`. */
export type UsageQueryItem = Static<typeof UsageQuery>
/** The query of `GET /analytics/latency`. */
export type LatencyQueryItem = Static<typeof LatencyQuery>
/** The query of `GET /analytics/requests`. */
export type RequestLogQueryItem = Static<typeof RequestLogQuery>
const groupsNote = `At most ${MAX_GROUPS} groups: days in order, other groups largest first; with a split, each group whole (its largest splits, then the rest as \`other\`).`

export const RequestLog = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  requestId: Type.String(),
  api: Type.String(),
  appId: Type.Union([Type.String(), Type.Null()]),
  userId: Type.Union([Type.String(), Type.Null()]),
  llm: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  status: Type.Integer(),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  costUsd: Type.Number(),
  latencyMs: Type.Number(),
  streamed: Type.Boolean(),
  aborted: Type.Boolean(),
})

/** A row of the request log. */
export type RequestLogItem = Static<typeof RequestLog>

function presentRequest(row: Row<'requests'>): RequestLogItem {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    requestId: row.request_id,
    api: row.api,
    appId: row.app_id,
    userId: row.user_id,
    llm: row.llm,
    model: row.model,
    status: row.status,
    errorCode: row.error_code,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    costUsd: row.cost,
    latencyMs: row.latency_ms,
    streamed: row.streamed,
    aborted: row.aborted,
  }
}

const FiltersQuery = Type.Object(Filters)

function filterOf(query: Static<typeof FiltersQuery> & { status?: number | undefined; aborted?: boolean | undefined }): RequestFilter {
  return { ...timeRangeOf(query, DEFAULT_DAYS), app: query.app, llm: query.llm, model: query.model, status: query.status, aborted: query.aborted }
}

const rangeOf = (filter: RequestFilter) => ({ from: filter.from.toISOString(), to: filter.to.toISOString() })

/** Usage, cost and latency of the requests the gateway served (the `requests` table the AnalyticsWriter fills), and their log. */
export function registerAnalyticsRoutes(app: Api, ctx: StudioContext): void {
  const config = { access: 'admin' as const }
  const tags = ['analytics']

  app.get(
    `${API_PREFIX}/analytics/usage`,
    { config, schema: { tags, summary: 'Requests, tokens, cost and errors per app, LLM, model or day', description: groupsNote, querystring: UsageQuery, response: { 200: UsageAnswer, ...errorResponses(401, 403, 422) } } },
    async (request) => {
      const filter = filterOf(request.query)
      return { ...rangeOf(filter), items: await usageBy(ctx.db, filter, request.query.groupBy ?? 'day', request.query.split, request.query.splitLimit) }
    },
  )

  app.get(
    `${API_PREFIX}/analytics/latency`,
    { config, schema: { tags, summary: 'Latency percentiles (p50, p90, p99) overall or per app, LLM, model or day', description: groupsNote, querystring: LatencyQuery, response: { 200: LatencyAnswer, ...errorResponses(401, 403, 422) } } },
    async (request) => {
      const filter = filterOf(request.query)
      return { ...rangeOf(filter), items: await latencyBy(ctx.db, filter, request.query.groupBy ?? 'none') }
    },
  )

  app.get(
    `${API_PREFIX}/analytics/top-apps`,
    { config, schema: { tags, summary: 'The apps that cost, asked or used the most', querystring: TopAppsQuery, response: { 200: Type.Object({ ...Range, items: Type.Array(UsageRow) }), ...errorResponses(401, 403, 422) } } },
    async (request) => {
      const filter = filterOf(request.query)
      return { ...rangeOf(filter), items: await topApps(ctx.db, filter, request.query.by ?? 'cost', request.query.limit ?? 10) }
    },
  )

  app.get(
    `${API_PREFIX}/analytics/requests`,
    { config, schema: { tags, summary: 'The request log, newest first (keyset pages)', querystring: RequestLogQuery, response: { 200: Page(RequestLog), ...errorResponses(401, 403, 422) } } },
    async (request) => {
      const query = request.query
      const page = await listPage(filteredRequests(ctx.db, filterOf(query)).selectAll(), { sortable: { at: 'at' }, defaultSort: '-at', idColumn: 'id', query })
      return { items: page.items.map(presentRequest), nextCursor: page.nextCursor }
    },
  )
}
