import type { UserItem } from '@plugboard/studio/api-types'
import { directoryApi } from '../api/directory-api'
import { Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useObjectForm } from './object-form'

type Role = UserItem['role']
const ROLES: { role: Role; label: string }[] = [
  { role: 'portal', label: 'portal — the portal and the LLMs their groups grant' },
  { role: 'admin', label: 'admin — this dashboard and the admin API' },
]
const FIELDS = ['email', 'name', 'role', 'password', 'disabled'] as const
const EMPTY = { email: '', name: '', role: 'portal' as Role, password: '', disabled: false }

/**
 * The user form, for a new user (no `user`) or to edit `user`. The email is
 * fixed once created; a password typed on an edit replaces the current one
 * (and ends the user's sessions). The password stays out of the stored draft.
 */
export function UserForm(props: { user?: UserItem; onSaved: (user: UserItem) => void; onReload?: () => void }) {
  const { user } = props
  const { form, update, errors, busy, submit, failure } = useObjectForm({
    draftKey: user ? `user-edit:${user.id}` : 'user-create',
    stored: user,
    initial: user ? { email: user.email, name: user.name, role: user.role, password: '', disabled: user.disabled } : EMPTY,
    secretFields: ['password'],
    fields: FIELDS,
    what: 'user',
    write: (form) => {
      const name = form.name.trim()
      return user
        ? directoryApi.updateUser(user.id, { role: form.role, disabled: form.disabled, ...(name && { name }), ...(form.password && { password: form.password }) }, form.version)
        : directoryApi.createUser({ email: form.email, role: form.role, disabled: form.disabled, ...(name && { name }), ...(form.password && { password: form.password }) })
    },
    onSaved: props.onSaved,
    onReload: props.onReload,
  })

  return (
    <form onSubmit={submit} className="card form" noValidate>
      <SaveFailure {...failure} />
      <Field label="Email" name="email" error={errors.fields.email} hint={user ? 'An account keeps its email.' : 'They sign in with it; unique.'}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="email" value={form.email} readOnly={user !== undefined} onChange={(e) => update({ email: e.target.value })} />}
      </Field>
      <Field label="Name" name="name" error={errors.fields.name} hint={user ? 'Empty keeps the current name.' : 'Optional; the part of the email before the @ when empty.'}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => update({ name: e.target.value })} />}
      </Field>
      <Field label="Role" name="role" error={errors.fields.role}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} value={form.role} onChange={(e) => update({ role: e.target.value as Role })}>
            {ROLES.map(({ role, label }) => (
              <option key={role} value={role}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label={user ? 'New password' : 'Password'}
        name="password"
        error={errors.fields.password}
        hint={user ? `At least 12 characters; empty keeps ${user.hasPassword ? 'the current one' : 'the user without one'}. A new one signs them out everywhere.` : 'At least 12 characters; tell it to the user. Empty: they cannot sign in with a password.'}
      >
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="password" autoComplete="new-password" value={form.password} onChange={(e) => update({ password: e.target.value })} />}
      </Field>
      <label className="check">
        <input type="checkbox" checked={form.disabled} onChange={(e) => update({ disabled: e.target.checked })} />
        Disabled (cannot sign in; their sessions and tokens stop working)
      </label>
      <SubmitButton busy={busy}>{user ? 'Save user' : 'Create user'}</SubmitButton>
    </form>
  )
}
