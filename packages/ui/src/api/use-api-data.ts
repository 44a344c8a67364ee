import { useCallback, useEffect, useState } from 'react'

/** What a page shows of data it loads: nothing yet, the data, or the API's error (its message, and the error for its details). */
export type Loaded<T> = { state: 'loading' } | { state: 'ready'; data: T } | { state: 'failed'; message: string; error: Error }

/**
 * Loads data for a page when it mounts (and on `reload`); a later load wins
 * over an earlier one. While a reload runs, `loaded` keeps what was shown
 * and `pending` says a newer load is on its way.
 */
export function useApiData<T>(load: () => Promise<T>, deps: readonly unknown[]): { loaded: Loaded<T>; pending: boolean; reload: () => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' })
  const [pending, setPending] = useState(true)
  const [generation, setGeneration] = useState(0)
  useEffect(() => {
    let current = true
    setPending(true)
    const settle = (next: Loaded<T>) => {
      if (!current) return
      setLoaded(next)
      setPending(false)
    }
    load().then(
      (data) => settle({ state: 'ready', data }),
      (error: Error) => settle({ state: 'failed', message: error.message, error }),
    )
    return () => {
      current = false
    }
    // The caller's deps say when to load again.
  }, [generation, ...deps])
  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  return { loaded, pending, reload }
}
