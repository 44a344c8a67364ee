import type { BudgetLimit, BudgetPeriodRule } from '@plugboard/gateway'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'

/** A budget row's period as the gateway counts it: `custom` is `period_days` days from `anchor`. */
export function periodRuleOf(row: Pick<Row<'budgets'>, 'period' | 'period_days' | 'anchor'>): BudgetPeriodRule {
  return row.period === 'custom' ? { kind: 'days', days: row.period_days!, anchor: row.anchor.getTime() } : { kind: 'monthly' }
}

/**
 * A budget row as the gateway's limit: its id is the row's; it targets the
 * slug of its app or LLM, as the gateway config Studio feeds names them.
 */
function limitOf(row: Row<'budgets'>, targetSlug: string): BudgetLimit {
  return { id: row.id, scope: row.app_id !== null ? 'app' : 'llm', target: targetSlug, limitUsd: row.limit_usd, period: periodRuleOf(row), thresholds: row.thresholds }
}

/**
 * The enabled budgets as the gateway config's `budgets.limits`: what the
 * gateway fed by Studio checks every request against (the same limits the
 * config document's `budgets.limits` parse to).
 */
export async function budgetLimitsOf(db: StudioDb): Promise<BudgetLimit[]> {
  const rows = await db
    .selectFrom('budgets')
    .leftJoin('apps', 'apps.id', 'budgets.app_id')
    .leftJoin('llms', 'llms.id', 'budgets.llm_id')
    .selectAll('budgets')
    .select(['apps.slug as app_slug', 'llms.slug as llm_slug'])
    .where('budgets.enabled', '=', true)
    .orderBy('budgets.id')
    .execute()
  return rows.map(({ app_slug, llm_slug, ...row }) => limitOf(row, (app_slug ?? llm_slug)!))
}
