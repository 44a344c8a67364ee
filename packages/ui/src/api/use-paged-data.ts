import { useState } from 'react'
import type { Page } from './page'
import { useApiData, type Loaded } from './use-api-data'

/** One page of a cursor-paged list, and the moves to the next page and back. */
export interface PagedData<T> {
  loaded: Loaded<Page<T>>
  /** A page change is loading: `loaded` still holds the page shown before. */
  pending: boolean
  /** 1 for the first page. */
  pageNumber: number
  /** Absent on the last page. */
  next: (() => void) | undefined
  /** Absent on the first page. */
  previous: (() => void) | undefined
  /** Loads the first page again (after a change that adds items at its top). */
  reloadFirst: () => void
}

/**
 * Loads a cursor-paged list a page at a time (`load` gets the page's cursor,
 * undefined for the first); the cursors of the pages before are kept, so
 * "previous" goes back without the API paging backwards. `deps` (JSON
 * values) name the list.
 */
export function usePagedData<T>(load: (cursor: string | undefined) => Promise<Page<T>>, deps: readonly unknown[]): PagedData<T> {
  // The cursors belong to the list `deps` name: another list starts on its first page.
  const list = JSON.stringify(deps)
  const [paging, setPaging] = useState<{ list: string; cursors: readonly (string | undefined)[] }>({ list, cursors: [undefined] })
  const cursors = paging.list === list ? paging.cursors : [undefined]
  const setCursors = (change: (current: readonly (string | undefined)[]) => readonly (string | undefined)[]) =>
    setPaging((current) => ({ list, cursors: change(current.list === list ? current.cursors : [undefined]) }))
  const cursor = cursors[cursors.length - 1]
  const { loaded, pending, reload } = useApiData(() => load(cursor), [...deps, cursor])
  const nextCursor = loaded.state === 'ready' ? loaded.data.nextCursor : null
  return {
    loaded,
    pending,
    pageNumber: cursors.length,
    // A second click before the next page arrived would push the same cursor again.
    next: nextCursor === null ? undefined : () => setCursors((current) => (current[current.length - 1] === nextCursor ? current : [...current, nextCursor])),
    previous: cursors.length > 1 ? () => setCursors((current) => current.slice(0, -1)) : undefined,
    reloadFirst: () => (cursors.length === 1 ? reload() : setCursors(() => [undefined])),
  }
}
