import type { LlmCreateBody, LlmItem, LlmUpdateBody } from '@plugboard/studio/api-types'
import { adminApi } from '../api/admin-api'
import { directoryApi } from '../api/directory-api'
import { Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useObjectForm } from './object-form'

const VENDORS: LlmItem['vendor'][] = ['mock', 'openai', 'anthropic']
const FIELDS = ['slug', 'name', 'description', 'vendor', 'models', 'baseUrl', 'apiKey', 'enabled'] as const
const EMPTY = { slug: '', name: '', description: '', vendor: 'mock' as LlmItem['vendor'], models: '', baseUrl: '', apiKey: '', enabled: true }
type LlmFormValues = typeof EMPTY

/** Models typed as a list: one per comma or line. */
function modelList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((model) => model.trim())
    .filter(Boolean)
}

function valuesOf(llm: LlmItem): LlmFormValues {
  return { slug: llm.slug, name: llm.name, description: llm.description, vendor: llm.vendor, models: llm.models.join(', '), baseUrl: llm.baseUrl, apiKey: '', enabled: llm.enabled }
}

function createBody(form: LlmFormValues): LlmCreateBody {
  const upstream = form.vendor !== 'mock'
  return {
    slug: form.slug.trim(),
    vendor: form.vendor,
    models: modelList(form.models),
    enabled: form.enabled,
    ...(form.name.trim() && { name: form.name.trim() }),
    ...(form.description.trim() && { description: form.description.trim() }),
    ...(upstream && form.baseUrl.trim() && { baseUrl: form.baseUrl.trim() }),
    ...(upstream && form.apiKey && { apiKey: form.apiKey }),
  }
}

/** Every field the form shows; the key only when one was typed (empty keeps the stored one). */
function updateBody(form: LlmFormValues): LlmUpdateBody {
  const upstream = form.vendor !== 'mock'
  return {
    slug: form.slug.trim(),
    description: form.description.trim(),
    models: modelList(form.models),
    enabled: form.enabled,
    ...(form.name.trim() && { name: form.name.trim() }),
    ...(upstream && { baseUrl: form.baseUrl.trim() }),
    ...(upstream && form.apiKey && { apiKey: form.apiKey }),
  }
}

/**
 * The LLM form, for a new LLM (no `llm`) or to edit `llm`: what is typed is a
 * draft that outlives a lost session, and an edit keeps the version it started
 * from, so a save over someone else's change is refused (412) and offers a
 * reload instead of overwriting it.
 */
export function LlmForm(props: { llm?: LlmItem; onSaved: (llm: LlmItem) => void; onReload?: () => void }) {
  const { llm } = props
  const { form, update, errors, busy, submit, failure } = useObjectForm({
    draftKey: llm ? `llm-edit:${llm.id}` : 'llm-create',
    stored: llm,
    initial: llm ? valuesOf(llm) : EMPTY,
    secretFields: ['apiKey'],
    fields: FIELDS,
    what: 'LLM',
    write: (form) => (llm ? directoryApi.updateLlm(llm.id, updateBody(form), form.version) : adminApi.createLlm(createBody(form))),
    onSaved: props.onSaved,
    onReload: props.onReload,
  })
  const upstream = form.vendor !== 'mock'

  return (
    <form onSubmit={submit} className="card form" noValidate>
      <SaveFailure {...failure} />
      <Field label="Slug" name="slug" error={errors.fields.slug} hint="Lower-case letters, digits and dashes; apps and requests name the LLM by it.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => update({ slug: e.target.value })} />}
      </Field>
      <Field label="Name" name="name" error={errors.fields.name} hint={llm ? 'Empty keeps the current name.' : 'Optional; the slug when empty.'}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => update({ name: e.target.value })} />}
      </Field>
      <Field label="Description" name="description" error={errors.fields.description}>
        {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} value={form.description} onChange={(e) => update({ description: e.target.value })} />}
      </Field>
      <Field label="Vendor" name="vendor" error={errors.fields.vendor} {...(llm && { hint: 'An LLM keeps its vendor: add another LLM for another one.' })}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} value={form.vendor} disabled={llm !== undefined} onChange={(e) => update({ vendor: e.target.value as LlmItem['vendor'] })}>
            {VENDORS.map((vendor) => (
              <option key={vendor} value={vendor}>
                {vendor}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Models" name="models" error={errors.fields.models} hint="Comma-separated, e.g. gpt-4o, gpt-4o-mini.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.models} onChange={(e) => update({ models: e.target.value })} />}
      </Field>
      {upstream && (
        <>
          <Field label="Base URL" name="baseUrl" error={errors.fields.baseUrl} hint="Optional; the vendor's public API when empty.">
            {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="url" value={form.baseUrl} onChange={(e) => update({ baseUrl: e.target.value })} />}
          </Field>
          <Field
            label="API key"
            name="apiKey"
            error={errors.fields.apiKey}
            hint={llm?.apiKeyHint ? `Stored encrypted, ending in ${llm.apiKeyHint}; empty keeps it.` : 'Stored encrypted; never shown again.'}
          >
            {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="password" autoComplete="off" value={form.apiKey} onChange={(e) => update({ apiKey: e.target.value })} />}
          </Field>
        </>
      )}
      <label className="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => update({ enabled: e.target.checked })} />
        Enabled
      </label>
      <SubmitButton busy={busy}>{llm ? 'Save LLM' : 'Create LLM'}</SubmitButton>
    </form>
  )
}
