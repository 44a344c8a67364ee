import { NavLink } from 'react-router'
import type { UiExtensionItem } from '@plugboard/studio/api-types'
import type { Loaded } from '../api/use-api-data'
import { usePluginExtensions, usePortalExtensions } from './plugin-extensions'

/** The sidebar sections plugins add: one per plugin with entries, titled by the plugin; a hint when they could not be read. */
function PluginSections(props: { loaded: Loaded<Array<{ plugin: UiExtensionItem['plugin']; entries: Array<{ title: string; path: string }> }>> }) {
  const { loaded } = props
  const sections = loaded.state === 'ready' ? loaded.data.filter((section) => section.entries.length > 0) : []
  return (
    <>
      {sections.map((section) => (
        <section key={section.plugin.id} className="plugin-section" aria-label={section.plugin.title}>
          <p className="section-title">{section.plugin.title}</p>
          <ul>
            {section.entries.map((entry) => (
              <li key={entry.path}>
                <NavLink to={entry.path} end>
                  {entry.title}
                </NavLink>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {loaded.state === 'failed' && <p className="hint">Plugin sections could not be read: {loaded.message}</p>}
    </>
  )
}

/** The dashboard sidebar's plugin sections (their sidebar entries) and the settings page. */
export function PluginNav() {
  const extensions = usePluginExtensions()
  const loaded = extensions.state === 'ready' ? { state: 'ready' as const, data: extensions.data.map((item) => ({ plugin: item.plugin, entries: item.sidebar })) } : extensions
  return (
    <>
      <PluginSections loaded={loaded} />
      <ul>
        <li>
          <NavLink to="/settings">Settings</NavLink>
        </li>
      </ul>
    </>
  )
}

/** The portal sidebar's plugin sections: an entry per portal page the user may see. */
export function PortalPluginNav() {
  const extensions = usePortalExtensions()
  const loaded = extensions.state === 'ready' ? { state: 'ready' as const, data: extensions.data.items.map((item) => ({ plugin: item.plugin, entries: item.pages })) } : extensions
  return <PluginSections loaded={loaded} />
}
