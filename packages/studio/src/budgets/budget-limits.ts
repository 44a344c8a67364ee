import type { BudgetLimit, BudgetPeriodRule } from '@plugboard/gateway'
import type { StudioDb } from '../db/database.js'
import type { Row } from '../db/schema.js'

/** A budget row's period as the gateway counts it: `custom` is `period_days` days from `anchor`. */
export function periodRuleOf(row: Pick<Row<'budgets'>, 'period' | 'period_days' | 'anchor'>): BudgetPeriodRule {
  return row.period === 'custom' ? { kind: 'days', days: row.period_days!, anchor: row.anchor.getTime() } : { kind: 'monthly' }
}

/** A budget row as the gateway's limit: its id is the row's; an LLM budget targets the LLM's slug, an app budget the app's id. */
export function limitOf(row: Row<'budgets'>, llmSlug: string | null): BudgetLimit {
  const scope = row.app_id !== null ? 'app' : 'llm'
  return { id: row.id, scope, target: scope === 'app' ? row.app_id! : llmSlug!, limitUsd: row.limit_usd, period: periodRuleOf(row), thresholds: row.thresholds }
}

/**
 * The enabled budgets as the gateway config's `budgets.limits`: what the
 * gateway fed by Studio checks every request against.
 */
export async function budgetLimitsOf(db: StudioDb): Promise<BudgetLimit[]> {
  const rows = await db
    .selectFrom('budgets')
    .leftJoin('llms', 'llms.id', 'budgets.llm_id')
    .selectAll('budgets')
    .select('llms.slug as llm_slug')
    .where('budgets.enabled', '=', true)
    .orderBy('budgets.id')
    .execute()
  return rows.map(({ llm_slug, ...row }) => limitOf(row, llm_slug))
}
