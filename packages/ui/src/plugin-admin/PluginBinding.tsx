import type { PluginItem } from '@plugboard/studio/api-types'
import { adminApi } from '../api/admin-api'
import { datasourcesApi } from '../api/datasources-api'
import { directoryApi } from '../api/directory-api'
import { pluginsApi } from '../api/plugins-api'
import { toolsApi } from '../api/tools-api'
import { useApiData } from '../api/use-api-data'
import { Choices } from '../components/Choices'
import { Field, SubmitButton } from '../components/form-controls'
import { SaveFailure } from '../components/SaveFailure'
import type { FormErrors } from '../forms/field-errors'
import { useObjectForm } from '../forms/object-form'
import { isVersionConflict } from '../forms/use-save'
import { bindingBody, bindingValues, BINDING_LISTS, isAgent, sameBinding, type BindingList, type BindingValues, type FailurePolicy } from './binding-values'

const FIELDS = [...BINDING_LISTS, 'priority', 'failurePolicy', 'deadlineMs'] as const

/**
 * Saves the binding under the plugin's version. A 412 means the plugin changed
 * meanwhile, but only a change to its binding conflicts with this edit: after
 * any other (enabled, granted, reloaded elsewhere) it is sent again on the new version.
 */
async function saveBinding(plugin: PluginItem, values: BindingValues): Promise<PluginItem> {
  const body = bindingBody(values, isAgent(plugin))
  try {
    return await pluginsApi.setBinding(plugin.name, body, plugin.version)
  } catch (error) {
    if (!isVersionConflict(error)) throw error
    const current = await pluginsApi.get(plugin.name)
    if (!sameBinding(current.binding, values.basis)) throw error
    return pluginsApi.setBinding(plugin.name, body, current.version)
  }
}

/** A list's ticks as the card shows them: what is chosen, its inline error, and objects the stored binding names since deleted, marked so. */
function listProps(field: BindingList, form: BindingValues, update: (patch: Partial<BindingValues>) => void, errors: FormErrors) {
  return { chosen: form[field], onChange: (chosen: string[]) => update({ [field]: chosen }), error: errors.fields[field], stored: form.basis[field] }
}

const slugOf = (item: { slug: string }) => item.slug

/** What only an agent is bound to: the tools and datasources it is given, and who may chat with it. */
function AgentChoices(props: { form: BindingValues; update: (patch: Partial<BindingValues>) => void; errors: FormErrors }) {
  const { form, update, errors } = props
  const { loaded: tools } = useApiData(() => toolsApi.tools(), [])
  const { loaded: datasources } = useApiData(() => datasourcesApi.datasources(), [])
  const { loaded: groups } = useApiData(() => directoryApi.groups(), [])
  return (
    <>
      <Choices legend="Tools" hint="Given to the agent with each message; it may execute only the ticked ones (none ticked: any)." loaded={tools} none="No tools yet." keyOf={slugOf} labelOf={slugOf} {...listProps('tools', form, update, errors)} />
      <Choices legend="Datasources" hint="Given to the agent with each message; it may query only the ticked ones (none ticked: any)." loaded={datasources} none="No datasources yet." keyOf={slugOf} labelOf={slugOf} {...listProps('datasources', form, update, errors)} />
      <Choices
        legend="Chat groups"
        hint="Only members of the ticked groups (and admins) may chat with the agent; none ticked: every signed-in user."
        loaded={groups}
        none="No groups yet."
        {...listProps('chatGroups', form, update, errors)}
        keyOf={(group) => group.name}
        labelOf={(group) => group.name}
      />
    </>
  )
}

/**
 * The plugin's binding: the apps and LLMs it runs for (and for an agent the
 * tools, datasources and chat groups), its priority, failure policy and
 * deadline. Saved with If-Match; what the edit started from is kept with the
 * draft, so the binding changed since is a conflict and any other change of
 * the plugin is not.
 */
export function PluginBinding(props: { plugin: PluginItem; onSaved: (plugin: PluginItem) => void; onReload: () => void }) {
  const { plugin } = props
  const agent = isAgent(plugin)
  const { loaded: apps } = useApiData(() => adminApi.apps(), [])
  const { loaded: llms } = useApiData(() => adminApi.llms(), [])
  const { form, update, errors, busy, submit, failure } = useObjectForm({
    draftKey: `plugin-binding:${plugin.id}`,
    stored: plugin,
    initial: bindingValues(plugin.binding),
    fields: FIELDS,
    what: 'binding',
    changedSince: (draft) => !sameBinding(draft.basis, plugin.binding),
    write: (values) => saveBinding(plugin, values),
    onSaved: props.onSaved,
    onReload: props.onReload,
  })

  return (
    <section className="card" aria-label="Binding">
      <h2>Binding</h2>
      <form onSubmit={submit} className="form" noValidate>
        <SaveFailure {...failure} />
        <Choices legend="Apps" hint="Runs only for requests of the ticked apps; none ticked: every app." loaded={apps} none="No apps yet." keyOf={slugOf} labelOf={slugOf} {...listProps('apps', form, update, errors)} />
        <Choices
          legend="LLMs"
          hint={agent ? 'The agent is given the ticked LLMs with each message; none ticked: every LLM.' : 'Runs only for requests to the ticked LLMs; none ticked: every LLM.'}
          loaded={llms}
          none="No LLMs yet."
          keyOf={slugOf}
          labelOf={slugOf}
          {...listProps('llms', form, update, errors)}
        />
        {agent && <AgentChoices form={form} update={update} errors={errors} />}
        <Field label="Priority" name="binding-priority" hint="Lower runs first, in every hook chain and among object hooks; default 0." error={errors.fields.priority}>
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" step={1} value={form.priority} onChange={(e) => update({ priority: e.target.value })} />}
        </Field>
        <Field label="Failure policy" name="binding-failure-policy" hint="When a hook fails or times out: fail-open skips it (and counts it), fail-closed fails the request naming the plugin." error={errors.fields.failurePolicy}>
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={form.failurePolicy} onChange={(e) => update({ failurePolicy: e.target.value as FailurePolicy })}>
              <option value="fail-open">fail-open</option>
              <option value="fail-closed">fail-closed</option>
            </select>
          )}
        </Field>
        <Field label="Deadline (ms)" name="binding-deadline" hint="How long each hook call may take, 1 to 60000 ms; empty: the default." error={errors.fields.deadlineMs}>
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min={1} max={60_000} step={1} value={form.deadlineMs} onChange={(e) => update({ deadlineMs: e.target.value })} />}
        </Field>
        <SubmitButton busy={busy}>Save binding</SubmitButton>
      </form>
    </section>
  )
}
