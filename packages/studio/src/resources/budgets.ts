import { randomUUID } from 'node:crypto'
import { DEFAULT_BUDGET_THRESHOLDS, MAX_PERIOD_DAYS, budgetPeriodOf } from '@plugboard/gateway'
import { Type, type Static } from 'typebox'
import type { StudioContext } from '../api/context.js'
import { registerResource, Timestamps, timestamps } from '../api/resource.js'
import type { Api } from '../api/server.js'
import type { Trx } from '../api/writes.js'
import { periodRuleOf } from '../budgets/budget-limits.js'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'
import { StudioError } from '../errors.js'
import { resolveReference } from './references.js'

const Period = Type.Union([Type.Literal('monthly'), Type.Literal('custom')], { description: 'A UTC calendar month, or `periodDays` days counted from `anchor`.' })
const PeriodDays = Type.Integer({ minimum: 1, maximum: MAX_PERIOD_DAYS, description: 'The length of a custom period.' })
const LimitUsd = Type.Number({ exclusiveMinimum: 0, maximum: 1e12, description: 'USD per period; requests that would pass it are refused (429 BUDGET_EXCEEDED).' })
const Anchor = Type.String({ format: 'date-time', description: 'When the first custom period starts (default: now).' })
const Thresholds = Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), { uniqueItems: true, maxItems: 100, description: 'Percents of the limit that raise an alert once per period.' })
const Target = (description?: string) => Type.String({ minLength: 1, maxLength: 128, ...(description && { description }) })

const Alert = Type.Object({ threshold: Type.Integer(), at: Type.String({ format: 'date-time' }), spentUsd: Type.Number() })

export const Budget = Type.Object({
  id: Type.String(),
  appId: Type.Union([Type.String(), Type.Null()]),
  llmId: Type.Union([Type.String(), Type.Null()]),
  limitUsd: Type.Number(),
  period: Period,
  periodDays: Type.Union([PeriodDays, Type.Null()]),
  anchor: Type.String({ format: 'date-time' }),
  thresholds: Type.Array(Type.Integer()),
  enabled: Type.Boolean(),
  status: Type.Object(
    {
      spentUsd: Type.Number(),
      reservedUsd: Type.Number({ description: 'Held by requests in flight.' }),
      periodStart: Type.String({ format: 'date-time' }),
      resetsAt: Type.String({ format: 'date-time' }),
      alerts: Type.Array(Alert, { description: 'The thresholds reached in the current period.' }),
    },
    { description: 'The current period, live.' },
  ),
  ...Timestamps,
})

const BudgetCreate = Type.Object(
  {
    appId: Type.Optional(Target('The app (id or slug) whose requests it limits; or llmId.')),
    llmId: Type.Optional(Target('The LLM (id or slug) whose requests, of every app, it limits; or appId.')),
    limitUsd: LimitUsd,
    period: Period,
    periodDays: Type.Optional(PeriodDays),
    anchor: Type.Optional(Anchor),
    thresholds: Type.Optional(Thresholds),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const BudgetUpdate = Type.Object(
  {
    limitUsd: Type.Optional(LimitUsd),
    period: Type.Optional(Period),
    periodDays: Type.Optional(Type.Union([PeriodDays, Type.Null()])),
    anchor: Type.Optional(Anchor),
    thresholds: Type.Optional(Thresholds),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)

export type BudgetItem = Static<typeof Budget>
export type BudgetCreateBody = Static<typeof BudgetCreate>
export type BudgetUpdateBody = Static<typeof BudgetUpdate>

const invalid = (path: string, message: string) => new StudioError('VALIDATION_FAILED', `${path.slice(1)} ${message}`, { details: [{ path, message }] })

const sorted = (thresholds: readonly number[]) => [...thresholds].sort((a, b) => a - b)

/** A custom period has its length; a monthly one none. */
function checkPeriod(period: 'monthly' | 'custom', periodDays: number | null | undefined): number | null {
  if (period === 'custom' && (periodDays === undefined || periodDays === null)) throw invalid('/periodDays', 'is required for a custom period')
  if (period === 'monthly' && periodDays !== undefined && periodDays !== null) throw invalid('/periodDays', 'is only for a custom period')
  return periodDays ?? null
}

/** Rows with their live status: spending from the store, alerts of the current period from budget_alerts (one query a page). */
export async function presentBudgets(rows: Row<'budgets'>[], db: StudioDb | Trx, ctx: StudioContext): Promise<BudgetItem[]> {
  const now = Date.now()
  const periods = rows.map((row) => budgetPeriodOf(periodRuleOf(row), now))
  const alerts = rows.length
    ? await db
        .selectFrom('budget_alerts')
        .selectAll()
        .where((eb) => eb.or(rows.map((row, i) => eb.and([eb('budget_id', '=', row.id), eb('period_start', '=', new Date(periods[i]!.startsAt))]))))
        .orderBy('threshold')
        .execute()
    : []
  return Promise.all(
    rows.map(async (row, i) => {
      const period = periods[i]!
      const usage = await ctx.budgets.usage(row.id, period.key)
      return {
        id: row.id,
        appId: row.app_id,
        llmId: row.llm_id,
        limitUsd: row.limit_usd,
        period: row.period,
        periodDays: row.period_days,
        anchor: row.anchor.toISOString(),
        thresholds: row.thresholds,
        enabled: row.enabled,
        status: {
          spentUsd: usage.spent,
          reservedUsd: usage.reserved,
          periodStart: new Date(period.startsAt).toISOString(),
          resetsAt: new Date(period.resetsAt).toISOString(),
          alerts: alerts.filter((alert) => alert.budget_id === row.id).map((alert) => ({ threshold: alert.threshold, at: alert.at.toISOString(), spentUsd: alert.spent })),
        },
        ...timestamps(row),
      }
    }),
  )
}

/** Budgets per app and per LLM (one each at most: 409), with their live spending, reset time and alerts. */
export function registerBudgetRoutes(app: Api, ctx: StudioContext): void {
  registerResource(app, ctx, {
    table: 'budgets',
    type: 'budget',
    label: 'budget',
    plural: 'budgets',
    access: 'admin',
    schemas: {
      item: Budget,
      create: BudgetCreate,
      update: BudgetUpdate,
      filters: { appId: Type.Optional(Target('Budgets of this app id.')), llmId: Type.Optional(Target('Budgets of this LLM id.')), enabled: Type.Optional(Type.Boolean()) },
    },
    sortable: { createdAt: 'created_at', updatedAt: 'updated_at', limitUsd: 'limit_usd' },
    defaultSort: 'createdAt',
    filter: (query, { appId, llmId, enabled }) => {
      let filtered = query
      if (appId) filtered = filtered.where('app_id', '=', appId)
      if (llmId) filtered = filtered.where('llm_id', '=', llmId)
      if (enabled !== undefined) filtered = filtered.where('enabled', '=', enabled)
      return filtered
    },
    present: (rows, db) => presentBudgets(rows, db, ctx),
    insert: async (trx, body) => {
      if ((body.appId === undefined) === (body.llmId === undefined)) throw invalid(body.appId === undefined ? '/appId' : '/llmId', 'give exactly one of appId or llmId')
      const periodDays = checkPeriod(body.period, body.periodDays)
      const id = randomUUID()
      await trx
        .insertInto('budgets')
        .values({
          id,
          app_id: body.appId === undefined ? null : await resolveReference(trx, 'apps', body.appId, '/appId'),
          llm_id: body.llmId === undefined ? null : await resolveReference(trx, 'llms', body.llmId, '/llmId'),
          limit_usd: body.limitUsd,
          period: body.period,
          period_days: periodDays,
          anchor: body.anchor ?? new Date(),
          thresholds: JSON.stringify(sorted(body.thresholds ?? DEFAULT_BUDGET_THRESHOLDS)),
          enabled: body.enabled ?? true,
        })
        .execute()
      return id
    },
    update: async (trx, row, patch) => {
      const period = patch.period ?? row.period
      // Leaving a custom period drops its length; a length given for a monthly one is refused.
      const periodDays = checkPeriod(period, patch.periodDays !== undefined ? patch.periodDays : period === 'custom' ? row.period_days : undefined)
      await trx
        .updateTable('budgets')
        .set({
          ...(patch.limitUsd !== undefined && { limit_usd: patch.limitUsd }),
          period,
          period_days: periodDays,
          ...(patch.anchor !== undefined && { anchor: patch.anchor }),
          ...(patch.thresholds !== undefined && { thresholds: JSON.stringify(sorted(patch.thresholds)) }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        })
        .where('id', '=', row.id)
        .execute()
    },
  })
}
