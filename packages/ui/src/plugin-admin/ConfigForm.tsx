import type { PluginItem } from '@plugboard/studio/api-types'
// Not '@rjsf/core': its index also exports getTestRegistry, which imports @rjsf/validator-ajv8 (not a dependency, and refused by the CSP).
import Form from '@rjsf/core/lib/components/Form.js'
import type { ErrorSchema, RJSFSchema } from '@rjsf/utils'
import { useEffect, useRef, useState } from 'react'
import { pluginsApi } from '../api/plugins-api'
import { ErrorMessage, SubmitButton } from '../components/form-controls'
import { CONFIG_BUTTONS } from './config-buttons'
import { configErrorsOf } from './config-errors'
import { watchForRefusal } from './config-refusal'
import { configValidator } from './config-validator'
import './config-form.css'

/**
 * A plugin's config as a form generated from its JSON Schema (react-jsonschema-form),
 * checked as the admin types and again by Studio on save: Studio's problems show
 * inline too (`studioErrors`, also set by a refused enable), and so does the
 * running plugin refusing the saved config when it restarts with it. Its own
 * chunk: rjsf loads only when a plugin's page shows its config.
 */
export default function ConfigForm(props: { plugin: PluginItem; studioErrors: ErrorSchema | undefined; onStudioErrors: (errors: ErrorSchema | undefined) => void; onSaved: (plugin: PluginItem) => void }) {
  const { plugin } = props
  const [formData, setFormData] = useState<unknown>(plugin.config ?? {})
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<string | undefined>(undefined)
  // What was last saved, to say "Saved." while the form still holds it.
  const [savedJson, setSavedJson] = useState<string | undefined>(undefined)

  // The watch for the running plugin refusing the last saved config; a new save or leaving the page ends it.
  const watching = useRef<AbortController | undefined>(undefined)
  useEffect(() => () => watching.current?.abort(), [])

  async function watchSaved(before: Parameters<typeof watchForRefusal>[1]) {
    const controller = new AbortController()
    watching.current = controller
    const refusal = await watchForRefusal(plugin.name, before, controller.signal).catch(() => undefined)
    if (!refusal || controller.signal.aborted) return
    setSavedJson(undefined)
    setMessage(`Studio stored this config, but the plugin (${refusal.runtime}) refused it and keeps running with the one before: ${refusal.message}`)
  }

  async function save(config: unknown) {
    watching.current?.abort()
    setSaving(true)
    setMessage(undefined)
    setSavedJson(undefined)
    props.onStudioErrors(undefined)
    try {
      // A running plugin's errors before the save: one it reports after is about this config.
      const before = plugin.enabled ? await pluginsApi.status(plugin.name).then((status) => status.lastErrors, () => undefined) : undefined
      props.onSaved(await pluginsApi.update(plugin.name, { config }))
      setSavedJson(JSON.stringify(config))
      if (before) void watchSaved(before)
    } catch (error) {
      setMessage((error as Error).message)
      props.onStudioErrors(configErrorsOf(error))
    } finally {
      setSaving(false)
    }
  }

  return (
    <div className="config-form">
      <ErrorMessage message={message} />
      <Form
        schema={plugin.configSchema as RJSFSchema}
        formData={formData}
        validator={configValidator}
        extraErrors={props.studioErrors}
        showErrorList={false}
        templates={{ ButtonTemplates: CONFIG_BUTTONS }}
        noHtml5Validate
        liveValidate="onChange"
        onChange={(event) => {
          // rjsf also reports a change when its props change (a saved plugin's new schema object): only an edit counts.
          if (JSON.stringify(event.formData) === JSON.stringify(formData)) return
          setFormData(event.formData)
          // Studio's problems were about what it was sent, not about what is typed now.
          if (props.studioErrors) props.onStudioErrors(undefined)
        }}
        onSubmit={(event) => void save(event.formData)}
      >
        <div className="actions">
          <SubmitButton busy={saving}>Save config</SubmitButton>
          {savedJson !== undefined && savedJson === JSON.stringify(formData) && <span className="notice">Saved.</span>}
        </div>
      </Form>
    </div>
  )
}
