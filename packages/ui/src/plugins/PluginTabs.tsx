import type { PluginUiContext } from '@plugboard/ui-sdk'
import { useState } from 'react'
import { ErrorMessage } from '../components/form-controls'
import { PluginElement } from './PluginElement'
import { usePluginExtensions } from './plugin-extensions'

/** The tabs plugins add to an app's or an LLM's page, the first one open; nothing when no plugin adds one. */
export function PluginTabs(props: { slot: 'appTabs' | 'llmTabs'; target: NonNullable<PluginUiContext['target']> }) {
  const extensions = usePluginExtensions()
  const [open, setOpen] = useState(0)
  if (extensions.state === 'failed') return <ErrorMessage message={`Plugin tabs could not be read: ${extensions.message}`} />
  if (extensions.state === 'loading') return null
  const tabs = extensions.data.flatMap((extension) => extension[props.slot].map((component) => ({ plugin: extension.plugin, component })))
  if (tabs.length === 0) return null
  const shown = tabs[Math.min(open, tabs.length - 1)]!
  return (
    <section className="plugin-tabs" aria-label="Plugin tabs">
      <div role="tablist">
        {tabs.map((tab, index) => (
          <button key={`${tab.plugin.id}/${tab.component.element}`} type="button" role="tab" aria-selected={tab === shown} onClick={() => setOpen(index)}>
            {tab.component.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={shown.component.title}>
        <PluginElement key={`${shown.plugin.id}/${shown.component.element}`} plugin={shown.plugin} component={shown.component} target={props.target} />
      </div>
    </section>
  )
}
