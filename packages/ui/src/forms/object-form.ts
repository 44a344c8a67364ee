import type { FormEvent } from 'react'
import { useDraft } from './draft'
import { useSave } from './use-save'

/** What a form of a stored object keeps besides its fields: the version an edit started from. */
type Versioned<V> = V & { version: number }

/**
 * A form that makes a new object (no `stored`) or edits `stored`: what is
 * typed is a draft that outlives a lost session; an edit keeps the version it
 * started from, so a save over someone else's change is refused (412) and the
 * failure offers a reload instead of overwriting it. `write` makes the API
 * calls; the draft is dropped only once it succeeds.
 */
export function useObjectForm<V extends object, Saved>(options: {
  draftKey: string
  stored: { version: number } | undefined
  initial: V
  secretFields?: readonly (keyof Versioned<V>)[]
  fields: readonly string[]
  what: string
  write: (values: Versioned<V>) => Promise<Saved>
  onSaved: (saved: Saved) => void
  onReload: (() => void) | undefined
  /**
   * Whether `stored` changed since the edit (`draft`) started, shown as a
   * conflict at once; by default, when its version did. An edit of part of an
   * object judges by that part, as other writes give the object new versions.
   */
  changedSince?: (draft: Versioned<V>) => boolean
}) {
  const { stored } = options
  const draft = useDraft<Versioned<V>>(options.draftKey, { ...options.initial, version: stored?.version ?? 0 }, options.secretFields)
  const save = useSave(options.fields)
  const form = draft.values

  const submit = (event: FormEvent) => {
    event.preventDefault()
    void save.run(async () => {
      const saved = await options.write(form)
      draft.discard()
      options.onSaved(saved)
    })
  }
  const onReload = () => {
    draft.discard()
    options.onReload?.()
  }
  const changedSince = options.changedSince ?? ((started: Versioned<V>) => started.version !== stored?.version)
  const conflict = save.conflict || (stored !== undefined && changedSince(form))
  return { form, update: draft.update, errors: save.errors, busy: save.busy, submit, failure: { message: save.errors.message, conflict, what: options.what, onReload } }
}
