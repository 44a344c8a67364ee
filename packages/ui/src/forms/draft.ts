import { useCallback, useEffect, useRef, useState } from 'react'

const PREFIX = 'pb-draft:'
/** Secret fields (a vendor key) stay in this tab's memory only, never in sessionStorage. */
const secrets = new Map<string, Record<string, unknown>>()

function restore<T extends object>(key: string, initial: T): T {
  let stored: Partial<T> = {}
  try {
    stored = JSON.parse(sessionStorage.getItem(PREFIX + key) ?? '{}') as Partial<T>
  } catch {
    // A draft that does not parse is dropped: the form starts empty.
  }
  return { ...initial, ...stored, ...(secrets.get(key) as Partial<T> | undefined) }
}

/**
 * A form's values that outlive the form: when the session ends mid-form the
 * UI goes to sign-in, and the form shows what was typed once it is back.
 * Kept from the first `update` on: a form opened and left as it was leaves no
 * draft, so the next visit starts from the object as stored then, not as it
 * was. Cleared when the form is submitted (call `discard`) and on sign-out.
 */
export function useDraft<T extends object>(key: string, initial: T, secretFields: readonly (keyof T)[] = []) {
  const [values, setValues] = useState<T>(() => restore(key, initial))
  const edited = useRef(false)
  useEffect(() => {
    if (!edited.current) return
    const open: Record<string, unknown> = {}
    const secret: Record<string, unknown> = {}
    for (const [field, value] of Object.entries(values)) (secretFields.includes(field as keyof T) ? secret : open)[field] = value
    sessionStorage.setItem(PREFIX + key, JSON.stringify(open))
    secrets.set(key, secret)
    // secretFields is a constant list per form: not a dependency.
  }, [key, values])
  const update = useCallback((patch: Partial<T>) => {
    edited.current = true
    setValues((current) => ({ ...current, ...patch }))
  }, [])
  const discard = useCallback(() => {
    sessionStorage.removeItem(PREFIX + key)
    secrets.delete(key)
  }, [key])
  return { values, update, discard }
}

/** Forgets every draft: the next user of this browser does not see them. */
export function discardAllDrafts(): void {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith(PREFIX)) sessionStorage.removeItem(key)
  secrets.clear()
}
