import type { ModelPriceItem } from '@plugboard/studio/api-types'
import type { FormEvent } from 'react'
import { adminApi } from '../api/admin-api'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { DeleteButton } from '../components/DeleteButton'
import { Field, SubmitButton } from '../components/form-controls'
import { formatUsd } from '../components/format-usd'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { SaveFailure } from '../components/SaveFailure'
import { useDraft } from '../forms/draft'
import { requireFilled } from '../forms/field-errors'
import { useSave } from '../forms/use-save'

const FIELDS = ['model', 'input', 'output'] as const
/** `version` null: a model without a price yet (the save creates it). */
const EMPTY = { model: '', input: '', output: '', version: null as number | null }

/**
 * The model price table, which analytics and budgets cost requests by: set a
 * model's price (a new one, or one picked from the table to change), delete one.
 */
export default function PricesPage() {
  const { loaded, reload } = useApiData(() => directoryApi.prices(), [])
  const { loaded: llms } = useApiData(() => adminApi.llms(), [])
  const draft = useDraft('price', EMPTY)
  const form = draft.values
  const save = useSave(FIELDS)
  const { errors } = save
  const models = llms.state === 'ready' ? [...new Set(llms.data.items.flatMap((llm) => llm.models))] : []

  const edit = (price: ModelPriceItem) => draft.update({ model: price.model, input: String(price.input), output: String(price.output), version: price.version })
  const clear = () => {
    draft.update(EMPTY)
    draft.discard()
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void save.run(async () => {
      // Blank would go as PUT /model-prices/ (no model) or as a price of 0 (Number('') is 0); a non-numeric price goes as null, which the API refuses under its field.
      requireFilled(form, FIELDS)
      await directoryApi.setPrice(form.model.trim(), { input: Number(form.input), output: Number(form.output) }, form.version ?? undefined)
      clear()
      reload()
    })
  }
  const reloadAll = () => {
    clear()
    reload()
  }

  return (
    <>
      <h1>Model prices</h1>
      <form onSubmit={submit} className="card form" noValidate aria-label="Set a price">
        <h2>{form.version === null ? 'Set a price' : `Change the price of ${form.model}`}</h2>
        <SaveFailure message={errors.message} conflict={save.conflict} what="price" onReload={reloadAll} />
        <Field label="Model" name="model" error={errors.fields.model} hint="The model name requests send, e.g. gpt-4o.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} list="price-models" value={form.model} readOnly={form.version !== null} onChange={(e) => draft.update({ model: e.target.value })} />}
        </Field>
        <datalist id="price-models">
          {models.map((model) => (
            <option key={model} value={model} />
          ))}
        </datalist>
        <Field label="Input (USD per million tokens)" name="input" error={errors.fields.input}>
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min="0" step="any" value={form.input} onChange={(e) => draft.update({ input: e.target.value })} />}
        </Field>
        <Field label="Output (USD per million tokens)" name="output" error={errors.fields.output}>
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min="0" step="any" value={form.output} onChange={(e) => draft.update({ output: e.target.value })} />}
        </Field>
        <div className="actions">
          <SubmitButton busy={save.busy}>Save price</SubmitButton>
          {form.version !== null && (
            <button type="button" onClick={clear}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <h2 className="section">Prices</h2>
      <LoadedView loaded={loaded}>
        {(prices) => (
          <ItemsTable items={prices.items} headers={['Model', 'Input / M tokens', 'Output / M tokens', 'Updated', '']} empty="No model prices yet." label="Model prices">
            {(price) => (
              <tr key={price.model}>
                <td>{price.model}</td>
                <td>{formatUsd(price.input)}</td>
                <td>{formatUsd(price.output)}</td>
                <td>{new Date(price.updatedAt).toLocaleString()}</td>
                <td>
                  <div className="actions">
                    <button type="button" onClick={() => edit(price)} aria-label={`Edit the price of ${price.model}`}>
                      Edit
                    </button>
                    <DeleteButton key={price.version} what="price" name={price.model} remove={() => directoryApi.deletePrice(price.model, price.version)} onDeleted={reload} onReload={reload} />
                  </div>
                </td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
