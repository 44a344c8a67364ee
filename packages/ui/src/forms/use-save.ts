import { useCallback, useRef, useState } from 'react'
import { ApiError } from '../api/api-error'
import { formErrorsOf, noFormErrors, type FormErrors } from './field-errors'

/** Whether a write was refused because the object changed since it was read (If-Match named an older version). */
export function isVersionConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 412
}

/** A form's write as the form shows it: busy while it runs, then the API's errors (under their fields) and whether it was a version conflict. */
export interface SaveState {
  busy: boolean
  errors: FormErrors
  conflict: boolean
  /** Runs `action` unless one is running; a failure becomes `errors` (and `conflict` on a 412), never a rejection. */
  run: (action: () => Promise<void>) => Promise<void>
}

export function useSave(formFields: readonly string[]): SaveState {
  const [state, setState] = useState<Omit<SaveState, 'run'>>({ busy: false, errors: noFormErrors, conflict: false })
  // A second Enter before React re-renders the disabled button would otherwise write twice.
  const running = useRef(false)
  const run = useCallback(
    async (action: () => Promise<void>) => {
      if (running.current) return
      running.current = true
      setState({ busy: true, errors: noFormErrors, conflict: false })
      try {
        await action()
        setState({ busy: false, errors: noFormErrors, conflict: false })
      } catch (error) {
        setState({ busy: false, errors: formErrorsOf(error, formFields), conflict: isVersionConflict(error) })
      } finally {
        running.current = false
      }
    },
    // The fields are a constant list per form.
    [],
  )
  return { ...state, run }
}
