import { PluginRoute } from '../plugins/PluginRoute'
import { usePortalExtensions } from '../plugins/plugin-extensions'

/** A portal page a plugin adds under /portal/x/{name}, for a user whose groups let them see it. */
export default function PortalPluginPage() {
  const extensions = usePortalExtensions()
  if (extensions.state !== 'ready') return <PluginRoute loaded={extensions} />
  return <PluginRoute loaded={{ state: 'ready', data: extensions.data.items }} portal={{ groups: extensions.data.groups }} />
}
