import { useLocation, useParams } from 'react-router'
import { ErrorMessage } from '../components/form-controls'
import { PluginElement } from '../plugins/PluginElement'
import { usePluginExtensions } from '../plugins/plugin-extensions'

/** A page a plugin adds under /x/{name}: the route whose path is this one, its element shown. */
export default function PluginPage() {
  const name = useParams().pluginName ?? ''
  const path = useLocation().pathname.replace(/\/+$/, '')
  const extensions = usePluginExtensions()
  if (extensions.state === 'loading') return <p className="loading">Loading…</p>
  if (extensions.state === 'failed') return <ErrorMessage message={extensions.message} />
  const extension = extensions.data.find((candidate) => candidate.plugin.name === name)
  const route = extension?.routes.find((candidate) => candidate.path === path)
  if (!extension || !route) return <ErrorMessage message={`No enabled plugin "${name}" has a page at ${path}.`} />
  return <PluginElement key={route.path} plugin={extension.plugin} component={route} />
}
