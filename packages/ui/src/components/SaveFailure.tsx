import { ErrorMessage } from './form-controls'

/**
 * Why a write failed, above the form: the API's message, or for a version
 * conflict what happened and a Reload button that shows the current version
 * (discarding what was typed, which the admin may copy first).
 */
export function SaveFailure(props: { message: string | undefined; conflict: boolean; what: string; onReload: () => void }) {
  if (!props.conflict) return <ErrorMessage message={props.message} />
  return (
    <div className="error conflict" role="alert">
      <p>
        This {props.what} was changed by someone else since you opened it, so it was not saved. Reload to see the current version (what you typed here is discarded), then make
        your change again.
      </p>
      {props.message && <p className="hint">{props.message}</p>}
      <button type="button" onClick={props.onReload}>
        Reload
      </button>
    </div>
  )
}
