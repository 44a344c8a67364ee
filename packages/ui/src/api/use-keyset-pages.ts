import { useCallback, useState } from 'react'
import type { Page } from './page'
import { useApiData, type Loaded } from './use-api-data'

/** What a keyset-paged list shows and does: the page, its number, and moves to the next or the previous page. */
export interface KeysetPages<T> {
  loaded: Loaded<Page<T>>
  /** 1 for the first page. */
  number: number
  /** A page other than the one shown is on its way: the moves wait for it. */
  busy: boolean
  next?: (() => void) | undefined
  previous?: (() => void) | undefined
}

/**
 * Pages a keyset list (`cursor` → `nextCursor`): each move is one indexed
 * query, however deep. The API only goes forward, so the cursors of the pages
 * behind are kept on a stack and Previous reloads the one before. A new
 * `queryKey` (filters, page size) starts again at the first page; the page
 * shown stays until the next one arrives, so the table does not flicker.
 *
 * @example
 * const pages = useKeysetPages((cursor) => analyticsApi.requests({ ...filters, limit, cursor }), JSON.stringify([filters, limit]))
 */
export function useKeysetPages<T>(load: (cursor: string | undefined) => Promise<Page<T>>, queryKey: string): KeysetPages<T> {
  const [trail, setTrail] = useState<{ queryKey: string; cursors: string[] }>({ queryKey, cursors: [] })
  // A new query resets the trail during render (not in an effect), so no page of the old query is asked for.
  const cursors = trail.queryKey === queryKey ? trail.cursors : []
  if (trail.queryKey !== queryKey) setTrail({ queryKey, cursors })
  const cursor = cursors.at(-1)
  const request = `${queryKey}\n${cursor ?? ''}`
  const { loaded } = useApiData(async () => ({ request, page: await load(cursor) }), [request])
  const shown: Loaded<Page<T>> = loaded.state === 'ready' ? { state: 'ready', data: loaded.data.page } : loaded
  const busy = loaded.state === 'loading' || (loaded.state === 'ready' && loaded.data.request !== request)
  const nextCursor = loaded.state === 'ready' && !busy ? loaded.data.page.nextCursor : null
  const move = useCallback((to: string[]) => setTrail({ queryKey, cursors: to }), [queryKey])
  return {
    loaded: shown,
    number: cursors.length + 1,
    busy,
    next: nextCursor ? () => move([...cursors, nextCursor]) : undefined,
    previous: cursors.length > 0 && !busy ? () => move(cursors.slice(0, -1)) : undefined,
  }
}
