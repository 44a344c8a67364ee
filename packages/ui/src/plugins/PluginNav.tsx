import { NavLink } from 'react-router'
import { usePluginExtensions } from './plugin-extensions'

/** The sidebar's plugin sections (one per plugin with entries) and the settings page. */
export function PluginNav() {
  const extensions = usePluginExtensions()
  const sections = extensions.state === 'ready' ? extensions.data.filter((extension) => extension.sidebar.length > 0) : []
  return (
    <>
      {sections.map((extension) => (
        <section key={extension.plugin.id} className="plugin-section" aria-label={extension.plugin.title}>
          <p className="section-title">{extension.plugin.title}</p>
          <ul>
            {extension.sidebar.map((entry) => (
              <li key={entry.path}>
                <NavLink to={entry.path} end>
                  {entry.title}
                </NavLink>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {extensions.state === 'failed' && <p className="hint">Plugin sections could not be read: {extensions.message}</p>}
      <ul>
        <li>
          <NavLink to="/settings">Settings</NavLink>
        </li>
      </ul>
    </>
  )
}
