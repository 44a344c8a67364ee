import type { AppItem } from '@plugboard/studio/api-types'
import { directoryApi } from '../api/directory-api'
import type { AppScope } from '../api/app-scope'
import { useApiData } from '../api/use-api-data'
import { Choices } from '../components/Choices'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useObjectForm } from './object-form'

const FIELDS = ['slug', 'name', 'allowedLlms', 'enabled', 'ownerId'] as const
const EMPTY = { slug: '', name: '', allowedLlms: [] as string[], enabled: true, ownerId: '' }
const NO_USERS = Promise.resolve({ items: [], nextCursor: null })

/**
 * The app form, for a new app of `scope` (no `app`) or to edit the admin's
 * `app`: a draft that outlives a lost session; an edit keeps the version it
 * started from, so a save over someone else's change is refused and offers a
 * reload.
 */
export function AppForm(props: { scope: AppScope; app?: AppItem; onSaved: (app: AppItem) => void; onReload?: () => void }) {
  const { scope, app } = props
  const { loaded: llms } = useApiData(() => scope.llms(), [scope])
  // The owner is the admin's to change, on an edit: how the apps of a user about to be deleted are handed to another.
  const { loaded: users } = useApiData(() => (app ? directoryApi.users() : NO_USERS), [app?.id])
  const { form, update, errors, busy, submit, failure } = useObjectForm({
    draftKey: app ? `app-edit:${app.id}` : `app-create:${scope.home}`,
    stored: app,
    initial: app ? { slug: app.slug, name: app.name, allowedLlms: app.allowedLlms, enabled: app.enabled, ownerId: app.ownerId ?? '' } : EMPTY,
    fields: FIELDS,
    what: 'app',
    write: (form) => {
      const name = form.name.trim()
      return app
        ? directoryApi.updateApp(app.id, { slug: form.slug.trim(), allowedLlms: form.allowedLlms, enabled: form.enabled, ownerId: form.ownerId || null, ...(name && { name }) }, form.version)
        : scope.api.createApp({ slug: form.slug.trim(), allowedLlms: form.allowedLlms, ...(name && { name }) })
    },
    onSaved: props.onSaved,
    onReload: props.onReload,
  })

  return (
    <form onSubmit={submit} className="card form" noValidate>
      <SaveFailure {...failure} />
      <Field label="Slug" name="slug" error={errors.fields.slug} hint="Lower-case letters, digits and dashes.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.slug} onChange={(e) => update({ slug: e.target.value })} />}
      </Field>
      <Field label="Name" name="name" error={errors.fields.name} hint={app ? 'Empty keeps the current name.' : 'Optional; the slug when empty.'}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => update({ name: e.target.value })} />}
      </Field>
      <Choices
        legend="Allowed LLMs"
        loaded={llms}
        keyOf={(llm) => llm.slug}
        labelOf={(llm) => llm.slug}
        chosen={form.allowedLlms}
        onChange={(allowedLlms) => update({ allowedLlms })}
        none={scope.noLlms}
        error={errors.fields.allowedLlms}
      />
      {app && (
        <Field label="Owner" name="ownerId" error={errors.fields.ownerId} hint="The user whose app it is: they see it and its keys in the portal.">
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={form.ownerId} onChange={(e) => update({ ownerId: e.target.value })} disabled={users.state !== 'ready'}>
              <option value="">No owner</option>
              {users.state === 'ready' &&
                users.data.items.map((user) => (
                  <option key={user.id} value={user.id}>
                    {user.email}
                  </option>
                ))}
              {users.state === 'ready' && form.ownerId && !users.data.items.some((user) => user.id === form.ownerId) && <option value={form.ownerId}>{form.ownerId}</option>}
            </select>
          )}
        </Field>
      )}
      {users.state === 'failed' && <ErrorMessage message={`The users could not be read: ${users.message}`} />}
      {app && (
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => update({ enabled: e.target.checked })} />
          Enabled
        </label>
      )}
      <SubmitButton busy={busy}>{app ? 'Save app' : 'Create app'}</SubmitButton>
    </form>
  )
}
