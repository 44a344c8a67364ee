import { useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { ADMIN_APPS, type AppScope } from '../api/app-scope'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { useDraft } from '../forms/draft'
import { formErrorsOf, noFormErrors, type FormErrors } from '../forms/field-errors'

const FIELDS = ['slug', 'name', 'allowedLlms'] as const
const EMPTY = { slug: '', name: '', allowedLlms: [] as string[] }

/** Adds an app and the LLMs it may call; its keys are issued on its page. */
export default function AppCreatePage({ scope = ADMIN_APPS }: { scope?: AppScope }) {
  const navigate = useNavigate()
  const draft = useDraft(`app-create:${scope.home}`, EMPTY)
  const form = draft.values
  const { loaded: llms } = useApiData(() => scope.llms(), [scope])
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<FormErrors>(noFormErrors)

  function toggle(slug: string, allowed: boolean) {
    draft.update({ allowedLlms: allowed ? [...form.allowedLlms, slug] : form.allowedLlms.filter((s) => s !== slug) })
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setErrors(noFormErrors)
    try {
      const app = await scope.api.createApp({ slug: form.slug.trim(), allowedLlms: form.allowedLlms, ...(form.name.trim() && { name: form.name.trim() }) })
      draft.discard()
      navigate(`${scope.home}/${encodeURIComponent(app.id)}`)
    } catch (error) {
      setErrors(formErrorsOf(error, FIELDS))
      setBusy(false)
    }
  }

  return (
    <>
      <h1>New app</h1>
      <form onSubmit={submit} className="card form" noValidate>
        <ErrorMessage message={errors.message} />
        <Field label="Slug" name="slug" error={errors.fields.slug} hint="Lower-case letters, digits and dashes.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => draft.update({ slug: e.target.value })} />}
        </Field>
        <Field label="Name" name="name" error={errors.fields.name} hint="Optional; the slug when empty.">
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => draft.update({ name: e.target.value })} />}
        </Field>
        <fieldset className="field">
          <legend>Allowed LLMs</legend>
          {llms.state === 'loading' && <p className="loading">Loading…</p>}
          {llms.state === 'failed' && <ErrorMessage message={llms.message} />}
          {llms.state === 'ready' && llms.data.items.length === 0 && <p className="hint">{scope.noLlms}</p>}
          {llms.state === 'ready' &&
            llms.data.items.map((llm) => (
              <label key={llm.id} className="check">
                <input type="checkbox" checked={form.allowedLlms.includes(llm.slug)} onChange={(e) => toggle(llm.slug, e.target.checked)} />
                {llm.slug}
              </label>
            ))}
          {errors.fields.allowedLlms && <p className="field-error">{errors.fields.allowedLlms}</p>}
        </fieldset>
        <SubmitButton busy={busy}>Create app</SubmitButton>
      </form>
    </>
  )
}
