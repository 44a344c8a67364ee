import type { ReactNode } from 'react'

/** A labelled form field with its inline error under it. */
export function Field(props: { label: string; error?: string | undefined; hint?: string; children: (id: string, describedBy: string | undefined) => ReactNode; name: string }) {
  const id = `field-${props.name}`
  const errorId = props.error ? `${id}-error` : undefined
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, errorId)}
      {props.hint && <p className="hint">{props.hint}</p>}
      {props.error && (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  )
}

/** A submit button that says what is happening while it happens, and cannot be pressed twice. */
export function SubmitButton(props: { busy: boolean; busyLabel?: string; children: ReactNode }) {
  return (
    <button type="submit" className="primary" disabled={props.busy}>
      {props.busy ? (props.busyLabel ?? 'Saving…') : props.children}
    </button>
  )
}

/** An error message of the API, shown where the user looks. */
export function ErrorMessage(props: { message: string | undefined }) {
  if (!props.message) return null
  return (
    <p className="error" role="alert">
      {props.message}
    </p>
  )
}
