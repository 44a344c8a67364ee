import type { PluginItem } from '@plugboard/studio/api-types'
// Not '@rjsf/core': its index also exports getTestRegistry, which imports @rjsf/validator-ajv8 (not a dependency, and refused by the CSP).
import Form from '@rjsf/core/lib/components/Form.js'
import type { ErrorSchema, RJSFSchema } from '@rjsf/utils'
import { useState } from 'react'
import { pluginsApi } from '../api/plugins-api'
import { ErrorMessage, SubmitButton } from '../components/form-controls'
import { CONFIG_BUTTONS } from './config-buttons'
import { configErrorsOf } from './config-errors'
import { configValidator } from './config-validator'
import './config-form.css'

/**
 * A plugin's config as a form generated from its JSON Schema (react-jsonschema-form),
 * checked as the admin types and again by Studio on save: Studio's problems show
 * inline too (`studioErrors`, also set by a refused enable). Its own chunk: rjsf
 * loads only when a plugin's page shows its config.
 */
export default function ConfigForm(props: { plugin: PluginItem; studioErrors: ErrorSchema | undefined; onStudioErrors: (errors: ErrorSchema | undefined) => void; onSaved: (plugin: PluginItem) => void }) {
  const { plugin } = props
  const [formData, setFormData] = useState<unknown>(plugin.config ?? {})
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<string | undefined>(undefined)
  // What was last saved, to say "Saved." while the form still holds it.
  const [savedJson, setSavedJson] = useState<string | undefined>(undefined)

  async function save(config: unknown) {
    setSaving(true)
    setMessage(undefined)
    setSavedJson(undefined)
    props.onStudioErrors(undefined)
    try {
      props.onSaved(await pluginsApi.update(plugin.name, { config }))
      setSavedJson(JSON.stringify(config))
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
