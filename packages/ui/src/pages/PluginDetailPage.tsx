import type { PluginItem } from '@plugboard/studio/api-types'
import type { ErrorSchema } from '@rjsf/utils'
import { lazy, Suspense, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { pluginsApi } from '../api/plugins-api'
import { useApiData } from '../api/use-api-data'
import { EditLoader } from '../components/EditLoader'
import { LoadedView } from '../components/LoadedView'
import { displayName, PLUGINS_PATH } from '../plugin-admin/plugin-names'
import { PluginActions } from '../plugin-admin/PluginActions'
import { PluginBinding } from '../plugin-admin/PluginBinding'
import { PluginGrants } from '../plugin-admin/PluginGrants'
import { PluginLogTail } from '../plugin-admin/PluginLogTail'
import { PluginStatusView } from '../plugin-admin/PluginStatusView'
import { hasSettings } from '../plugin-admin/has-settings'
import { rereadPluginExtensions } from '../plugins/plugin-extensions'
import '../plugin-admin/plugin-admin.css'

// rjsf and its validator are the biggest part of this page: they load when a plugin with a config schema is shown.
const ConfigForm = lazy(() => import('../plugin-admin/ConfigForm'))

/** A refresh button that says so while the data it refreshes loads. */
function RefreshButton(props: { label: string; onClick: () => void; busy: boolean }) {
  return (
    <button type="button" disabled={props.busy} onClick={props.onClick}>
      {props.busy ? 'Refreshing…' : props.label}
    </button>
  )
}

/** Loads data again on demand, saying when it is doing so. */
function useRefreshable<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [refreshing, setRefreshing] = useState(false)
  const { loaded, reload } = useApiData(async () => {
    try {
      return await load()
    } finally {
      setRefreshing(false)
    }
  }, deps)
  return {
    loaded,
    refreshing,
    refresh: () => {
      setRefreshing(true)
      reload()
    },
  }
}

function PluginView(props: { stored: PluginItem; onReload: () => void }) {
  const navigate = useNavigate()
  const [changed, setChanged] = useState<PluginItem | undefined>(undefined)
  const [configErrors, setConfigErrors] = useState<ErrorSchema | undefined>(undefined)
  const plugin = changed ?? props.stored
  const status = useRefreshable(() => pluginsApi.status(plugin.name), [plugin.name])
  const logs = useRefreshable(() => pluginsApi.logs(plugin.name), [plugin.name])
  const onChanged = (next: PluginItem) => {
    setChanged(next)
    status.refresh()
    rereadPluginExtensions()
  }
  const onUninstalled = () => {
    rereadPluginExtensions()
    navigate(PLUGINS_PATH)
  }

  return (
    <div className="plugin-detail">
      <h1>{displayName(plugin)}</h1>
      <PluginActions plugin={plugin} onChanged={onChanged} onUninstalled={onUninstalled} onConfigErrors={setConfigErrors} />
      {plugin.manifest?.description && <p>{plugin.manifest.description}</p>}
      <dl className="facts">
        <dt>Name</dt>
        <dd>
          <code>{plugin.name}</code>
        </dd>
        <dt>Version</dt>
        <dd>{plugin.manifest?.version ?? '—'}</dd>
        <dt>Source</dt>
        <dd>
          <code>{plugin.source}</code>
        </dd>
        <dt>Enabled</dt>
        <dd>{plugin.enabled ? 'yes' : 'no'}</dd>
        <dt>Revision</dt>
        <dd>{plugin.revision}</dd>
      </dl>
      <PluginGrants plugin={plugin} onChanged={onChanged} />
      {/* A fresh form on each new version: after its own save it starts from the saved binding, after any other change from its draft. */}
      <PluginBinding key={plugin.version} plugin={plugin} onSaved={onChanged} onReload={props.onReload} />
      <section className="card" aria-label="Config">
        <h2>Config</h2>
        {hasSettings(plugin.configSchema) ? (
          <Suspense fallback={<p className="loading">Loading the form…</p>}>
            <ConfigForm plugin={plugin} studioErrors={configErrors} onStudioErrors={setConfigErrors} onSaved={setChanged} />
          </Suspense>
        ) : (
          <p>This plugin has no settings.</p>
        )}
      </section>
      <section className="card" aria-label="Status">
        <header className="page-header">
          <h2>Status</h2>
          <RefreshButton label="Refresh status" busy={status.refreshing} onClick={status.refresh} />
        </header>
        <LoadedView loaded={status.loaded}>{(data) => <PluginStatusView status={data} />}</LoadedView>
      </section>
      <section className="card" aria-label="Logs">
        <header className="page-header">
          <h2>Logs</h2>
          <RefreshButton label="Refresh logs" busy={logs.refreshing} onClick={logs.refresh} />
        </header>
        <LoadedView loaded={logs.loaded}>{(data) => <PluginLogTail lines={data.items} />}</LoadedView>
      </section>
    </div>
  )
}

/** An installed plugin: its grants, binding, config, status and log tail; enable, disable, reload, uninstall. */
export default function PluginDetailPage() {
  const name = useParams().pluginName ?? ''
  return (
    <>
      <p>
        <Link to={PLUGINS_PATH}>← Plugins</Link>
      </p>
      <EditLoader load={() => pluginsApi.get(name)} deps={[name]}>
        {(plugin, reload) => <PluginView stored={plugin} onReload={reload} />}
      </EditLoader>
    </>
  )
}
