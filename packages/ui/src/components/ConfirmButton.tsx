import { useState } from 'react'
import { ErrorMessage } from './form-controls'

type State = { state: 'idle' } | { state: 'confirming' } | { state: 'busy' } | { state: 'failed'; message: string }

/**
 * A button for an action that cannot be undone (a delete): the first click
 * asks "`label` `target`?", the second does it, showing `busyLabel` meanwhile
 * and the API's message when it fails.
 * @example <ConfirmButton label="Delete" target={`tool ${tool.slug}`} busyLabel="Deleting…" onConfirm={remove} />
 */
export function ConfirmButton(props: { label: string; target: string; busyLabel: string; onConfirm: () => Promise<void> }) {
  const [state, setState] = useState<State>({ state: 'idle' })
  const question = `${props.label} ${props.target}?`
  async function confirm() {
    setState({ state: 'busy' })
    try {
      await props.onConfirm()
      // The caller usually unmounts this button now (navigates, reloads the list).
      setState({ state: 'idle' })
    } catch (error) {
      setState({ state: 'failed', message: (error as Error).message })
    }
  }
  if (state.state === 'confirming' || state.state === 'busy')
    return (
      <span className="confirm-inline" role="group" aria-label={question}>
        <span>{question}</span>
        <button type="button" className="danger" disabled={state.state === 'busy'} onClick={() => void confirm()}>
          {state.state === 'busy' ? props.busyLabel : `Yes, ${props.label.toLowerCase()}`}
        </button>
        <button type="button" disabled={state.state === 'busy'} onClick={() => setState({ state: 'idle' })}>
          Cancel
        </button>
      </span>
    )
  return (
    <span className="confirm-inline">
      <button type="button" className="danger" aria-label={`${props.label} ${props.target}`} onClick={() => setState({ state: 'confirming' })}>
        {props.label}
      </button>
      {state.state === 'failed' && <ErrorMessage message={state.message} />}
    </span>
  )
}
