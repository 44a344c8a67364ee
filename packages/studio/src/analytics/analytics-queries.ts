import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import { CHAT_APP } from '../chat/chat-users.js'
import type { StudioDb } from '../db/database.js'
import type { StudioSchema } from '../db/schema.js'

/** Which requests a query covers: `from` inclusive, `to` exclusive, and the optional filters. */
export interface RequestFilter {
  from: Date
  to: Date
  app?: string | undefined
  /**
   * Any of these apps (slugs), each from when it was made: a slug used again
   * after its app was deleted does not bring the old app's requests along.
   * Empty: none.
   */
  apps?: ReadonlyArray<{ slug: string; since: Date }> | undefined
  /** With `apps`: also this user's chat requests (Studio's app `studio:chat`, whose requests are each of a user). */
  chatUser?: string | undefined
  llm?: string | undefined
  model?: string | undefined
  status?: number | undefined
  aborted?: boolean | undefined
}

export type UsageGroup = 'app' | 'llm' | 'model' | 'day'
/** A second grouping within each group (a day's usage per app, say). */
export type UsageSplit = Exclude<UsageGroup, 'day'>
export type LatencyGroup = UsageGroup | 'none'
export type TopAppsBy = 'cost' | 'requests' | 'tokens'

export interface UsageRow {
  key: string | null
  /** With a split: the app, LLM or model within the group `key`; null in an `other` row. */
  split?: string | null
  /** With a split: the row sums the splits past the largest ones. */
  other?: true
  requests: number
  promptTokens: number
  completionTokens: number
  costUsd: number
  /** Requests answered with a status of 400 or more (refused, failed, or 499: the client left first). */
  errors: number
}

export interface LatencyRow {
  key: string | null
  p50: number
  p90: number
  p99: number
  requests: number
}

/** The most rows a grouped query gives: the largest groups (by requests), or the first days. */
export const MAX_GROUPS = 1000

type RequestsQuery<O> = SelectQueryBuilder<StudioSchema, 'requests', O>

/**
 * What each grouping groups by, and the key it shows. A day is the UTC
 * calendar day, grouped as a date (a third quicker than grouping its text)
 * and shown as `YYYY-MM-DD`.
 */
const GROUPS: Record<LatencyGroup, { by: RawBuilder<unknown>; key: RawBuilder<string | null> }> = {
  app: { by: sql`app_id`, key: sql`app_id` },
  llm: { by: sql`llm`, key: sql`llm` },
  model: { by: sql`model`, key: sql`model` },
  day: { by: sql`(at at time zone 'UTC')::date`, key: sql`to_char((at at time zone 'UTC')::date, 'YYYY-MM-DD')` },
  none: { by: sql`null`, key: sql`null::text` },
}

/** The requests of a filter; an index leads with each filter's column and goes on with (at, id) (requests_at, requests_app_at, …_llm_at, …_model_at, …_status_at). */
export function filteredRequests(db: StudioDb, filter: RequestFilter): RequestsQuery<object> {
  let q: RequestsQuery<object> = db.selectFrom('requests').where('at', '>=', filter.from).where('at', '<', filter.to)
  if (filter.app !== undefined) q = q.where('app_id', '=', filter.app)
  if (filter.apps !== undefined) {
    const { apps, chatUser } = filter
    // Each arm leads with app_id: the requests_app_at index serves it.
    q = q.where((eb) =>
      eb.or([
        ...apps.map((app) => eb.and([eb('app_id', '=', app.slug), eb('at', '>=', app.since)])),
        ...(chatUser !== undefined ? [eb.and([eb('app_id', '=', CHAT_APP), eb('user_id', '=', chatUser)])] : []),
        eb.val(false),
      ]),
    )
  }
  if (filter.llm !== undefined) q = q.where('llm', '=', filter.llm)
  if (filter.model !== undefined) q = q.where('model', '=', filter.model)
  if (filter.status !== undefined) q = q.where('status', '=', filter.status)
  if (filter.aborted !== undefined) q = q.where('aborted', '=', filter.aborted)
  return q
}

// Sums as double precision: node-postgres gives bigint and numeric as strings; these stay exact to 2^53.
const usageColumns = {
  requests: sql<number>`count(*)::float8`,
  promptTokens: sql<number>`coalesce(sum(prompt_tokens), 0)::float8`,
  completionTokens: sql<number>`coalesce(sum(completion_tokens), 0)::float8`,
  costUsd: sql<number>`coalesce(sum(cost), 0)::float8`,
  errors: sql<number>`(count(*) filter (where status >= 400))::float8`,
}

/** With a split, how many of the largest splits keep rows of their own: the rest are summed as `other`. */
export const DEFAULT_SPLIT_LIMIT = 20
export const MAX_SPLIT_LIMIT = 100

/**
 * Usage and cost per group; days in order, other groups largest first (by
 * requests). With `split`, per group and split in one pass over the rows
 * (not a query per app): the `splitLimit` splits with the most requests over
 * the whole range keep their own rows, the rest are summed into one row per
 * group marked `other`, so every group is whole however many apps there are.
 */
export async function usageBy(db: StudioDb, filter: RequestFilter, groupBy: UsageGroup, split?: UsageSplit, splitLimit = DEFAULT_SPLIT_LIMIT): Promise<UsageRow[]> {
  const group = GROUPS[groupBy]
  const grouped = usageQuery(filteredRequests(db, filter), group.key).groupBy(group.by)
  if (split !== undefined) return splitUsage(db, grouped.select(GROUPS[split].key.as('split')).groupBy(GROUPS[split].by), groupBy === 'day', splitLimit)
  return groupBy === 'day' ? grouped.orderBy('key').limit(MAX_GROUPS).execute() : grouped.orderBy('requests', 'desc').orderBy('key').limit(MAX_GROUPS).execute()
}

/** Folds the cells (a row per group and split) past the largest `limit` splits into `other`, keeping the first MAX_GROUPS groups whole. */
async function splitUsage(db: StudioDb, cells: RequestsQuery<UsageRow>, byDay: boolean, limit: number): Promise<UsageRow[]> {
  const groupOrder = byDay ? sql`t.key` : sql`t.group_requests desc, t.key`
  const { rows } = await sql<UsageRow & { other: boolean }>`
    select r.key, case when r.split_rank <= ${limit} then r.split end as split, r.split_rank > ${limit} as other,
      sum(r.requests)::float8 as requests, sum(r."promptTokens")::float8 as "promptTokens", sum(r."completionTokens")::float8 as "completionTokens",
      sum(r."costUsd")::float8 as "costUsd", sum(r.errors)::float8 as errors
    from (
      select t.*, dense_rank() over (order by t.split_requests desc, t.split nulls last) as split_rank, dense_rank() over (order by ${groupOrder}) as group_rank
      from (select c.*, sum(c.requests) over (partition by c.split) as split_requests, sum(c.requests) over (partition by c.key) as group_requests from (${cells}) c) t
    ) r
    where r.group_rank <= ${MAX_GROUPS}
    group by r.key, r.group_rank, 2, 3
    order by r.group_rank, other, requests desc, split`.execute(db)
  return rows.map(({ other, ...row }) => (other ? { ...row, other: true } : row))
}

/** The apps that cost, asked or used the most, largest first; requests of no app (refused before auth) are left out. */
export async function topApps(db: StudioDb, filter: RequestFilter, by: TopAppsBy, limit: number): Promise<UsageRow[]> {
  const group = GROUPS.app
  const order = { cost: sql`sum(cost)`, requests: sql`count(*)`, tokens: sql`sum(prompt_tokens::int8 + completion_tokens)` }[by]
  return usageQuery(filteredRequests(db, filter).where('app_id', 'is not', null), group.key).groupBy(group.by).orderBy(order, 'desc').orderBy('key').limit(limit).execute()
}

function usageQuery(q: RequestsQuery<object>, key: RawBuilder<string | null>) {
  return q.select([
    key.as('key'),
    usageColumns.requests.as('requests'),
    usageColumns.promptTokens.as('promptTokens'),
    usageColumns.completionTokens.as('completionTokens'),
    usageColumns.costUsd.as('costUsd'),
    usageColumns.errors.as('errors'),
  ])
}

/** Latency percentiles (ms, interpolated: percentile_cont) per group, or over all (`none`, one row with key null). */
export async function latencyBy(db: StudioDb, filter: RequestFilter, groupBy: LatencyGroup): Promise<LatencyRow[]> {
  const group = GROUPS[groupBy]
  const q = filteredRequests(db, filter).select([
    group.key.as('key'),
    sql<number>`coalesce(percentile_cont(0.5) within group (order by latency_ms), 0)`.as('p50'),
    sql<number>`coalesce(percentile_cont(0.9) within group (order by latency_ms), 0)`.as('p90'),
    sql<number>`coalesce(percentile_cont(0.99) within group (order by latency_ms), 0)`.as('p99'),
    sql<number>`count(*)::float8`.as('requests'),
  ])
  if (groupBy === 'none') return q.execute()
  const grouped = q.groupBy(group.by)
  return (groupBy === 'day' ? grouped.orderBy('key') : grouped.orderBy('requests', 'desc').orderBy('key')).limit(MAX_GROUPS).execute()
}
