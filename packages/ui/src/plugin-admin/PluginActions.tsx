import type { PluginItem } from '@plugboard/studio/api-types'
import type { ErrorSchema } from '@rjsf/utils'
import { useState } from 'react'
import { pluginsApi } from '../api/plugins-api'
import { ErrorMessage } from '../components/form-controls'
import { configErrorsOf } from './config-errors'

type Action = 'enable' | 'disable' | 'reload' | 'uninstall'
const BUSY: Record<Action, string> = { enable: 'Enabling…', disable: 'Disabling…', reload: 'Reloading…', uninstall: 'Uninstalling…' }

/**
 * Enable or disable, reload and uninstall (after a confirmation), each showing
 * its progress and the API's message when it fails. A refused enable's config
 * problems go to the config form (`onConfigErrors`).
 */
export function PluginActions(props: { plugin: PluginItem; onChanged: (plugin: PluginItem) => void; onUninstalled: () => void; onConfigErrors: (errors: ErrorSchema | undefined) => void }) {
  const { plugin } = props
  const [busy, setBusy] = useState<Action | undefined>(undefined)
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)

  async function run(action: Action) {
    setBusy(action)
    setError(undefined)
    setConfirming(false)
    try {
      if (action === 'uninstall') {
        await pluginsApi.uninstall(plugin.name)
        props.onUninstalled()
        return
      }
      props.onChanged(await pluginsApi[action](plugin.name))
    } catch (failure) {
      setError((failure as Error).message)
      if (action === 'enable') props.onConfigErrors(configErrorsOf(failure))
    } finally {
      setBusy(undefined)
    }
  }

  const button = (action: Action, label: string, className?: string) => (
    <button type="button" className={className} disabled={busy !== undefined} onClick={() => (action === 'uninstall' ? setConfirming(true) : void run(action))}>
      {busy === action ? BUSY[action] : label}
    </button>
  )

  return (
    <>
      <div className="actions" role="group" aria-label="Plugin actions">
        {plugin.enabled ? button('disable', 'Disable') : button('enable', 'Enable', 'primary')}
        {button('reload', 'Reload')}
        {button('uninstall', 'Uninstall', 'danger')}
      </div>
      {confirming && (
        <div className="card confirm" role="alertdialog" aria-label="Confirm uninstall">
          <p>
            Uninstall <strong>{plugin.name}</strong>? Its processes stop; its schedules, run history and stored data are deleted. This cannot be undone.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={() => void run('uninstall')}>
              Yes, uninstall
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorMessage message={error} />
    </>
  )
}
