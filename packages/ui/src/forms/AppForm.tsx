import type { AppItem } from '@plugboard/studio/api-types'
import type { FormEvent } from 'react'
import { directoryApi } from '../api/directory-api'
import type { AppScope } from '../api/app-scope'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useDraft } from './draft'
import { useSave } from './use-save'

const FIELDS = ['slug', 'name', 'allowedLlms', 'enabled'] as const
const EMPTY = { slug: '', name: '', allowedLlms: [] as string[], enabled: true }

/**
 * The app form, for a new app of `scope` (no `app`) or to edit the admin's
 * `app`: a draft that outlives a lost session; an edit keeps the version it
 * started from, so a save over someone else's change is refused and offers a
 * reload.
 */
export function AppForm(props: { scope: AppScope; app?: AppItem; onSaved: (app: AppItem) => void; onReload?: () => void }) {
  const { scope, app } = props
  const initial = app ? { slug: app.slug, name: app.name, allowedLlms: app.allowedLlms, enabled: app.enabled } : EMPTY
  const draft = useDraft(app ? `app-edit:${app.id}` : `app-create:${scope.home}`, { ...initial, version: app?.version ?? 0 })
  const form = draft.values
  const { loaded: llms } = useApiData(() => scope.llms(), [scope])
  const save = useSave(FIELDS)
  const { errors } = save

  function toggle(slug: string, allowed: boolean) {
    draft.update({ allowedLlms: allowed ? [...form.allowedLlms, slug] : form.allowedLlms.filter((s) => s !== slug) })
  }

  const submit = (event: FormEvent) => {
    event.preventDefault()
    void save.run(async () => {
      const name = form.name.trim()
      const saved = app
        ? await directoryApi.updateApp(app.id, { slug: form.slug.trim(), allowedLlms: form.allowedLlms, enabled: form.enabled, ...(name && { name }) }, form.version)
        : await scope.api.createApp({ slug: form.slug.trim(), allowedLlms: form.allowedLlms, ...(name && { name }) })
      draft.discard()
      props.onSaved(saved)
    })
  }
  const reload = () => {
    draft.discard()
    props.onReload?.()
  }

  return (
    <form onSubmit={submit} className="card form" noValidate>
      <SaveFailure message={errors.message} conflict={save.conflict || (app !== undefined && form.version !== app.version)} what="app" onReload={reload} />
      <Field label="Slug" name="slug" error={errors.fields.slug} hint="Lower-case letters, digits and dashes.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => draft.update({ slug: e.target.value })} />}
      </Field>
      <Field label="Name" name="name" error={errors.fields.name} hint={app ? 'Empty keeps the current name.' : 'Optional; the slug when empty.'}>
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
      {app && (
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => draft.update({ enabled: e.target.checked })} />
          Enabled
        </label>
      )}
      <SubmitButton busy={save.busy}>{app ? 'Save app' : 'Create app'}</SubmitButton>
    </form>
  )
}
