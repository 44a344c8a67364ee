import type { FormEvent } from 'react'
import { Link, useNavigate } from 'react-router'
import { pluginsApi } from '../api/plugins-api'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { useDraft } from '../forms/draft'
import { useSave } from '../forms/use-save'
import { displayName, pluginPath } from '../plugin-admin/plugin-names'

const FIELDS = ['source', 'name'] as const

/** What Studio takes as a source: an absolute path typed as it is becomes a file:// URL. */
function sourceOf(typed: string): string {
  const source = typed.trim()
  return source.startsWith('/') ? `file://${source}` : source
}

/** Installs a plugin from a path or a gRPC address; Studio stores it disabled with nothing granted, and its page asks for the grants. */
function InstallForm() {
  const navigate = useNavigate()
  const draft = useDraft('plugin-install', { source: '', name: '' })
  const save = useSave(FIELDS)

  function submit(event: FormEvent) {
    event.preventDefault()
    void save.run(async () => {
      const name = draft.values.name.trim()
      const installed = await pluginsApi.install({ source: sourceOf(draft.values.source), ...(name && { name }) })
      draft.discard()
      navigate(pluginPath(installed.name))
    })
  }

  return (
    <form onSubmit={submit} className="card form" noValidate aria-label="Install plugin">
      <h2>Install plugin</h2>
      <ErrorMessage message={save.errors.message} />
      <Field label="Path or address" name="source" error={save.errors.fields.source} hint="A plugin's directory, .js file or executable (/opt/plugins/x or file:///opt/plugins/x), or a running plugin at grpc://host:port.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={draft.values.source} onChange={(e) => draft.update({ source: e.target.value })} />}
      </Field>
      <Field label="Name" name="name" error={save.errors.fields.name} hint="Optional: the manifest's id when empty.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={draft.values.name} onChange={(e) => draft.update({ name: e.target.value })} />}
      </Field>
      <SubmitButton busy={save.busy} busyLabel="Installing…">
        Install
      </SubmitButton>
    </form>
  )
}

/** The installed plugins (version, state, enabled) and the form that installs one. */
export default function PluginsPage() {
  const { loaded } = useApiData(() => pluginsApi.list(), [])
  return (
    <>
      <h1>Plugins</h1>
      <InstallForm />
      <h2 className="section">Installed</h2>
      <LoadedView loaded={loaded}>
        {({ items }) => (
          <ItemsTable items={items} headers={['Name', 'Version', 'State', 'Enabled']} empty="No plugins installed yet." label="Installed plugins">
            {(plugin) => (
              <tr key={plugin.id}>
                <td>
                  <Link to={pluginPath(plugin.name)}>{displayName(plugin)}</Link> <code>{plugin.name}</code>
                </td>
                <td>{plugin.manifest?.version ?? '—'}</td>
                <td>{plugin.status}</td>
                <td>{plugin.enabled ? 'yes' : 'no'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
