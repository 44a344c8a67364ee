import type { GroupItem } from '@plugboard/studio/api-types'
import { adminApi } from '../api/admin-api'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { Choices } from '../components/Choices'
import { Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import { useObjectForm } from './object-form'

const FIELDS = ['name', 'description', 'userIds', 'llms'] as const
const EMPTY = { name: '', description: '', userIds: [] as string[], llms: [] as string[] }

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item) => b.includes(item))

/**
 * The group form, for a new group (no `group`) or to edit `group`: its name,
 * its members and the LLMs they may use. A new group is one write with its
 * members and grants. An edit is up to three (the group, its members, its
 * grants): those that changed, each with the version the last one answered,
 * so one made by someone else meanwhile is refused rather than overwritten.
 */
export function GroupForm(props: { group?: GroupItem; onSaved: (group: GroupItem) => void; onReload?: () => void }) {
  const { group } = props
  const { loaded: users } = useApiData(() => directoryApi.users(), [])
  const { loaded: llms } = useApiData(() => adminApi.llms(), [])
  const { form, update, errors, busy, submit, failure } = useObjectForm({
    draftKey: group ? `group-edit:${group.id}` : 'group-create',
    stored: group,
    initial: group ? { name: group.name, description: group.description, userIds: group.members.map((m) => m.id), llms: group.grants.llms } : EMPTY,
    fields: FIELDS,
    what: 'group',
    write: async (form) => {
      const named = { name: form.name.trim(), description: form.description.trim() }
      if (!group) return directoryApi.createGroup({ ...named, userIds: form.userIds, grants: { llms: form.llms } })
      let saved = group
      // Each write names the version the one before it answered; the first the version this edit started from.
      let expected = form.version
      const landed = (next: GroupItem) => {
        saved = next
        expected = next.version
      }
      if (named.name !== group.name || named.description !== group.description) landed(await directoryApi.updateGroup(group.id, named, expected))
      if (!sameSet(form.userIds, saved.members.map((m) => m.id))) landed(await directoryApi.setGroupMembers(saved.id, form.userIds, expected))
      if (!sameSet(form.llms, saved.grants.llms)) landed(await directoryApi.setGroupGrants(saved.id, { ...saved.grants, llms: form.llms }, expected))
      return saved
    },
    onSaved: props.onSaved,
    onReload: props.onReload,
  })

  return (
    <form onSubmit={submit} className="card form" noValidate>
      <SaveFailure {...failure} />
      <Field label="Name" name="name" error={errors.fields.name}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={form.name} onChange={(e) => update({ name: e.target.value })} />}
      </Field>
      <Field label="Description" name="description" error={errors.fields.description}>
        {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} value={form.description} onChange={(e) => update({ description: e.target.value })} />}
      </Field>
      <Choices legend="Members" loaded={users} keyOf={(user) => user.id} labelOf={(user) => user.email} chosen={form.userIds} onChange={(userIds) => update({ userIds })} none="No users yet." error={errors.fields.userIds} />
      <Choices legend="LLMs the members may use" loaded={llms} keyOf={(llm) => llm.slug} labelOf={(llm) => llm.slug} chosen={form.llms} onChange={(chosen) => update({ llms: chosen })} none="No LLMs yet." error={errors.fields.llms} />
      <SubmitButton busy={busy}>{group ? 'Save group' : 'Create group'}</SubmitButton>
    </form>
  )
}
