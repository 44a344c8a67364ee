import { useLocation, useParams } from 'react-router'
import type { UiExtensionItem } from '@plugboard/studio/api-types'
import type { Loaded } from '../api/use-api-data'
import { LoadedView } from '../components/LoadedView'
import { ErrorMessage } from '../components/form-controls'
import { PluginElement, type PortalSurface } from './PluginElement'
import type { PluginPageComponent } from './plugin-extensions'

/** The pages of each plugin, as a page route looks them up. */
export type PluginPages = Array<{ plugin: UiExtensionItem['plugin']; pages: PluginPageComponent[] }>

/**
 * The plugin page at this URL (`…/x/{name}/{path}`): the page of plugin
 * `name` whose path is this one, its element shown; a message when no
 * enabled plugin has a page here (or none this user may see).
 */
export function PluginRoute(props: { loaded: Loaded<PluginPages>; portal?: PortalSurface }) {
  const name = useParams().pluginName ?? ''
  const path = useLocation().pathname.replace(/\/+$/, '')
  return (
    <LoadedView loaded={props.loaded}>
      {(plugins) => {
        const found = plugins.find((candidate) => candidate.plugin.name === name)
        const page = found?.pages.find((candidate) => candidate.path === path)
        if (!found || !page) return <ErrorMessage message={`No enabled plugin "${name}" has a page at ${path}${props.portal ? ' that you may see' : ''}.`} />
        return <PluginElement key={page.path} plugin={found.plugin} component={page} portal={props.portal} />
      }}
    </LoadedView>
  )
}
