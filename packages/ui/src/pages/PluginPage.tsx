import { PluginRoute } from '../plugins/PluginRoute'
import { usePluginExtensions } from '../plugins/plugin-extensions'

/** A page a plugin adds to the dashboard under /x/{name}. */
export default function PluginPage() {
  const extensions = usePluginExtensions()
  return <PluginRoute loaded={extensions.state === 'ready' ? { state: 'ready', data: extensions.data.map((item) => ({ plugin: item.plugin, pages: item.routes })) } : extensions} />
}
