import { useState } from 'react'
import { useSave } from '../forms/use-save'
import { SaveFailure } from './SaveFailure'

/**
 * Deletes after a confirmation that names what goes: "Delete" asks, "Yes,
 * delete" deletes ("Deleting…" meanwhile). A refusal shows the API's
 * message; a version conflict offers to reload. Give it the object's
 * version as `key`, so a reload that brings a new version starts it afresh.
 */
export function DeleteButton(props: { what: string; name: string; remove: () => Promise<void>; onDeleted: () => void; onReload: () => void }) {
  const [confirming, setConfirming] = useState(false)
  const save = useSave([])
  if (!confirming)
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        Delete {props.what}
      </button>
    )
  return (
    <div className="card confirm" role="group" aria-label={`Delete ${props.what}`}>
      <p>
        Delete the {props.what} <strong>{props.name}</strong>? This cannot be undone.
      </p>
      <SaveFailure message={save.errors.message} conflict={save.conflict} what={props.what} onReload={props.onReload} />
      <div className="actions">
        <button
          type="button"
          className="danger"
          disabled={save.busy}
          onClick={() =>
            void save.run(async () => {
              await props.remove()
              props.onDeleted()
            })
          }
        >
          {save.busy ? 'Deleting…' : 'Yes, delete'}
        </button>
        <button type="button" disabled={save.busy} onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
    </div>
  )
}
