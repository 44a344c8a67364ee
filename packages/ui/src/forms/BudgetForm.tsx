import type { BudgetItem } from '@plugboard/studio/api-types'
import { budgetTargetLabel, type BudgetScope, type BudgetTargets } from '../api/budget-targets'
import { directoryApi } from '../api/directory-api'
import { Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useObjectForm } from './object-form'

type Period = BudgetItem['period']
const FIELDS = ['appId', 'llmId', 'limitUsd', 'period', 'periodDays', 'thresholds', 'enabled'] as const
const EMPTY = { scope: 'app' as BudgetScope, target: '', limitUsd: '', period: 'monthly' as Period, periodDays: '30', thresholds: '', enabled: true }
const SCOPES: { scope: BudgetScope; label: string }[] = [
  { scope: 'app', label: "An app's requests" },
  { scope: 'llm', label: "Every app's requests to an LLM" },
]

/** "50, 80" → [50, 80]; what is not a number goes as null, which the API refuses under `thresholds`. */
function thresholdList(text: string): number[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number)
}

/**
 * The budget form, for a new budget (no `budget`) or to edit `budget`. What a
 * budget limits (an app or an LLM) is chosen when it is created; its limit,
 * period, alert thresholds and whether it is on can change later.
 */
export function BudgetForm(props: { budget?: BudgetItem; targets: BudgetTargets; onSaved: (budget: BudgetItem) => void; onReload?: () => void }) {
  const { budget, targets } = props
  const { form, update, errors, busy, submit, failure } = useObjectForm({
    draftKey: budget ? `budget-edit:${budget.id}` : 'budget-create',
    stored: budget,
    initial: budget
      ? { ...EMPTY, limitUsd: String(budget.limitUsd), period: budget.period, periodDays: String(budget.periodDays ?? 30), thresholds: budget.thresholds.join(', '), enabled: budget.enabled }
      : EMPTY,
    fields: FIELDS,
    what: 'budget',
    write: (form) => {
      const custom = form.period === 'custom'
      const terms = { limitUsd: Number(form.limitUsd), period: form.period, enabled: form.enabled }
      const thresholds = thresholdList(form.thresholds)
      return budget
        ? directoryApi.updateBudget(budget.id, { ...terms, thresholds, periodDays: custom ? Number(form.periodDays) : null }, form.version)
        : directoryApi.createBudget({
            ...terms,
            [form.scope === 'app' ? 'appId' : 'llmId']: form.target,
            ...(thresholds.length > 0 && { thresholds }),
            ...(custom && { periodDays: Number(form.periodDays) }),
          })
    },
    onSaved: props.onSaved,
    onReload: props.onReload,
  })
  const custom = form.period === 'custom'
  const choices = [...targets[form.scope]].sort((a, b) => a[1].localeCompare(b[1]))

  return (
    <form onSubmit={submit} className="card form" noValidate>
      <SaveFailure {...failure} />
      {budget ? (
        <p>
          Limits: <strong>{budgetTargetLabel(budget, targets)}</strong>
        </p>
      ) : (
        <>
          <Field label="Limits" name="scope">
            {(id) => (
              <select id={id} value={form.scope} onChange={(e) => update({ scope: e.target.value as BudgetScope, target: '' })}>
                {SCOPES.map(({ scope, label }) => (
                  <option key={scope} value={scope}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={form.scope === 'app' ? 'App' : 'LLM'} name="target" error={errors.fields[form.scope === 'app' ? 'appId' : 'llmId']}>
            {(id, describedBy) => (
              <select id={id} aria-describedby={describedBy} value={form.target} onChange={(e) => update({ target: e.target.value })}>
                <option value="">Choose…</option>
                {choices.map(([targetId, slug]) => (
                  <option key={targetId} value={targetId}>
                    {slug}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </>
      )}
      <Field label="Limit (USD per period)" name="limitUsd" error={errors.fields.limitUsd} hint="Requests that would pass it are refused.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min="0" step="any" value={form.limitUsd} onChange={(e) => update({ limitUsd: e.target.value })} />}
      </Field>
      <Field label="Period" name="period" error={errors.fields.period}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} value={form.period} onChange={(e) => update({ period: e.target.value as Period })}>
            <option value="monthly">Monthly (UTC calendar month)</option>
            <option value="custom">Every few days</option>
          </select>
        )}
      </Field>
      {custom && (
        <Field label="Days per period" name="periodDays" error={errors.fields.periodDays}>
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min="1" step="1" value={form.periodDays} onChange={(e) => update({ periodDays: e.target.value })} />}
        </Field>
      )}
      <Field label="Alert thresholds (%)" name="thresholds" error={errors.fields.thresholds} hint={budget ? 'Comma-separated percents of the limit; empty: no alerts.' : 'Comma-separated percents of the limit; empty: the defaults.'}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.thresholds} onChange={(e) => update({ thresholds: e.target.value })} />}
      </Field>
      <label className="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => update({ enabled: e.target.checked })} />
        Enabled
      </label>
      <SubmitButton busy={busy}>{budget ? 'Save budget' : 'Create budget'}</SubmitButton>
    </form>
  )
}
