import type { LlmCreateBody, LlmItem } from '@plugboard/studio/api-types'
import { useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { adminApi } from '../api/admin-api'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { useDraft } from '../forms/draft'
import { formErrorsOf, noFormErrors, type FormErrors } from '../forms/field-errors'

const VENDORS: LlmItem['vendor'][] = ['mock', 'openai', 'anthropic']
const FIELDS = ['slug', 'name', 'vendor', 'models', 'baseUrl', 'apiKey'] as const
const EMPTY = { slug: '', name: '', vendor: 'mock' as LlmItem['vendor'], models: '', baseUrl: '', apiKey: '' }

/** Models typed as a list: one per comma or line. */
function modelList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((model) => model.trim())
    .filter(Boolean)
}

/** Adds an LLM; a mock LLM needs no upstream, the others a base URL (optional) and a key. */
export default function LlmCreatePage() {
  const navigate = useNavigate()
  const draft = useDraft('llm-create', EMPTY, ['apiKey'])
  const form = draft.values
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<FormErrors>(noFormErrors)
  const upstream = form.vendor !== 'mock'

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setErrors(noFormErrors)
    const body: LlmCreateBody = {
      slug: form.slug.trim(),
      vendor: form.vendor,
      models: modelList(form.models),
      ...(form.name.trim() && { name: form.name.trim() }),
      ...(upstream && form.baseUrl.trim() && { baseUrl: form.baseUrl.trim() }),
      ...(upstream && form.apiKey && { apiKey: form.apiKey }),
    }
    try {
      await adminApi.createLlm(body)
      draft.discard()
      navigate('/llms')
    } catch (error) {
      setErrors(formErrorsOf(error, FIELDS))
      setBusy(false)
    }
  }

  return (
    <>
      <h1>New LLM</h1>
      <form onSubmit={submit} className="card form" noValidate>
        <ErrorMessage message={errors.message} />
        <Field label="Slug" name="slug" error={errors.fields.slug} hint="Lower-case letters, digits and dashes; apps and requests name the LLM by it.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => draft.update({ slug: e.target.value })} />}
        </Field>
        <Field label="Name" name="name" error={errors.fields.name} hint="Optional; the slug when empty.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => draft.update({ name: e.target.value })} />}
        </Field>
        <Field label="Vendor" name="vendor" error={errors.fields.vendor}>
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={form.vendor} onChange={(e) => draft.update({ vendor: e.target.value as LlmItem['vendor'] })}>
              {VENDORS.map((vendor) => (
                <option key={vendor} value={vendor}>
                  {vendor}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Models" name="models" error={errors.fields.models} hint="Comma-separated, e.g. gpt-4o, gpt-4o-mini.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.models} onChange={(e) => draft.update({ models: e.target.value })} />}
        </Field>
        {upstream && (
          <>
            <Field label="Base URL" name="baseUrl" error={errors.fields.baseUrl} hint="Optional; the vendor's public API when empty.">
              {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="url" value={form.baseUrl} onChange={(e) => draft.update({ baseUrl: e.target.value })} />}
            </Field>
            <Field label="API key" name="apiKey" error={errors.fields.apiKey} hint="Stored encrypted; never shown again.">
              {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="password" autoComplete="off" value={form.apiKey} onChange={(e) => draft.update({ apiKey: e.target.value })} />}
            </Field>
          </>
        )}
        <SubmitButton busy={busy}>Create LLM</SubmitButton>
      </form>
    </>
  )
}
