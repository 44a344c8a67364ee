import type { GroupItem } from '@plugboard/studio/api-types'
import type { FormEvent } from 'react'
import { adminApi } from '../api/admin-api'
import { directoryApi } from '../api/directory-api'
import { useApiData, type Loaded } from '../api/use-api-data'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useDraft } from './draft'
import { useSave } from './use-save'

const FIELDS = ['name', 'description', 'userIds', 'llms'] as const
const EMPTY = { name: '', description: '', userIds: [] as string[], llms: [] as string[] }

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item) => b.includes(item))
const toggled = (list: string[], item: string, on: boolean) => (on ? [...list, item] : list.filter((other) => other !== item))

/** Ticks for choosing some of `options` (users, LLMs): loading, the API's error, or a checkbox each. */
function Choices<T>(props: { legend: string; loaded: Loaded<{ items: T[] }>; keyOf: (item: T) => string; labelOf: (item: T) => string; chosen: string[]; onChange: (chosen: string[]) => void; none: string; error: string | undefined }) {
  const { loaded } = props
  return (
    <fieldset className="field">
      <legend>{props.legend}</legend>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' && loaded.data.items.length === 0 && <p className="hint">{props.none}</p>}
      {loaded.state === 'ready' &&
        loaded.data.items.map((item) => (
          <label key={props.keyOf(item)} className="check">
            <input type="checkbox" checked={props.chosen.includes(props.keyOf(item))} onChange={(e) => props.onChange(toggled(props.chosen, props.keyOf(item), e.target.checked))} />
            {props.labelOf(item)}
          </label>
        ))}
      {props.error && <p className="field-error">{props.error}</p>}
    </fieldset>
  )
}

/**
 * The group form, for a new group (no `group`) or to edit `group`: its name,
 * its members and the LLMs they may use. Studio keeps these as three writes
 * (the group, its members, its grants); a save makes those that changed, each
 * with the version the last one answered, so one made by someone else
 * meanwhile is refused rather than overwritten.
 */
export function GroupForm(props: { group?: GroupItem; onSaved: (group: GroupItem) => void; onReload?: () => void }) {
  const { group } = props
  const initial = group ? { name: group.name, description: group.description, userIds: group.members.map((m) => m.id), llms: group.grants.llms } : EMPTY
  const draft = useDraft(group ? `group-edit:${group.id}` : 'group-create', { ...initial, version: group?.version ?? 0 })
  const form = draft.values
  const { loaded: users } = useApiData(() => directoryApi.users(), [])
  const { loaded: llms } = useApiData(() => adminApi.llms(), [])
  const save = useSave(FIELDS)
  const { errors } = save

  const submit = (event: FormEvent) => {
    event.preventDefault()
    void save.run(async () => {
      const named = { name: form.name.trim(), description: form.description.trim() }
      let saved = group ?? (await directoryApi.createGroup(named))
      // Each write names the version the one before it answered; the first the version this edit started from.
      let expected = group ? form.version : saved.version
      const landed = (next: GroupItem) => {
        saved = next
        expected = next.version
      }
      if (group && (named.name !== group.name || named.description !== group.description)) landed(await directoryApi.updateGroup(group.id, named, expected))
      if (!sameSet(form.userIds, saved.members.map((m) => m.id))) landed(await directoryApi.setGroupMembers(saved.id, form.userIds, expected))
      if (!sameSet(form.llms, saved.grants.llms)) landed(await directoryApi.setGroupGrants(saved.id, { ...saved.grants, llms: form.llms }, expected))
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
      <SaveFailure message={errors.message} conflict={save.conflict || (group !== undefined && form.version !== group.version)} what="group" onReload={reload} />
      <Field label="Name" name="name" error={errors.fields.name}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => draft.update({ name: e.target.value })} />}
      </Field>
      <Field label="Description" name="description" error={errors.fields.description}>
        {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} value={form.description} onChange={(e) => draft.update({ description: e.target.value })} />}
      </Field>
      <Choices legend="Members" loaded={users} keyOf={(user) => user.id} labelOf={(user) => user.email} chosen={form.userIds} onChange={(userIds) => draft.update({ userIds })} none="No users yet." error={errors.fields.userIds} />
      <Choices legend="LLMs the members may use" loaded={llms} keyOf={(llm) => llm.slug} labelOf={(llm) => llm.slug} chosen={form.llms} onChange={(chosen) => draft.update({ llms: chosen })} none="No LLMs yet." error={errors.fields.llms} />
      <SubmitButton busy={save.busy}>{group ? 'Save group' : 'Create group'}</SubmitButton>
    </form>
  )
}
