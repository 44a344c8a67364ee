import { Fragment, useRef, type ReactNode } from 'react'
import { useApiData } from '../api/use-api-data'
import { LoadedView } from './LoadedView'

/**
 * Loads the object an edit form edits and renders the form for it. Each load
 * mounts a fresh form, so after `reload` (a version conflict: the form forgets
 * its draft first) the form starts from the current version; until the new
 * version arrives the old form stays as it was.
 */
export function EditLoader<T extends { version: number }>(props: { load: () => Promise<T>; deps: readonly unknown[]; children: (object: T, reload: () => void) => ReactNode }) {
  const { loaded, reload } = useApiData(props.load, props.deps)
  const loads = useRef({ count: 0, keys: new WeakMap<object, number>() })
  const keyOf = (object: T) => {
    const { keys } = loads.current
    if (!keys.has(object)) keys.set(object, ++loads.current.count)
    return keys.get(object)
  }
  return <LoadedView loaded={loaded}>{(object) => <Fragment key={keyOf(object)}>{props.children(object, reload)}</Fragment>}</LoadedView>
}
