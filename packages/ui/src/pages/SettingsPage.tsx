import { ErrorMessage } from '../components/form-controls'
import { PluginElement } from '../plugins/PluginElement'
import { usePluginExtensions } from '../plugins/plugin-extensions'

/** Settings: the sections plugins add, each its own component. */
export default function SettingsPage() {
  const extensions = usePluginExtensions()
  const sections = extensions.state === 'ready' ? extensions.data.flatMap((extension) => extension.settings.map((component) => ({ plugin: extension.plugin, component }))) : []
  return (
    <>
      <h1>Settings</h1>
      {extensions.state === 'loading' && <p className="loading">Loading…</p>}
      {extensions.state === 'failed' && <ErrorMessage message={extensions.message} />}
      {extensions.state === 'ready' && sections.length === 0 && <p>No plugin adds settings.</p>}
      {sections.map(({ plugin, component }) => (
        <section key={`${plugin.id}/${component.element}`} className="card settings-section" aria-label={component.title}>
          <h2>{component.title}</h2>
          <PluginElement plugin={plugin} component={component} />
        </section>
      ))}
    </>
  )
}
