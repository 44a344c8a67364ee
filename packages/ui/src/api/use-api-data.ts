import { useCallback, useEffect, useState } from 'react'

/** What a page shows of data it loads: nothing yet, the data, or the API's error message. */
export type Loaded<T> = { state: 'loading' } | { state: 'ready'; data: T } | { state: 'failed'; message: string }

/** Loads data for a page when it mounts (and on `reload`); a later load wins over an earlier one. */
export function useApiData<T>(load: () => Promise<T>, deps: readonly unknown[]): { loaded: Loaded<T>; reload: () => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' })
  const [generation, setGeneration] = useState(0)
  useEffect(() => {
    let current = true
    load().then(
      (data) => current && setLoaded({ state: 'ready', data }),
      (error: Error) => current && setLoaded({ state: 'failed', message: error.message }),
    )
    return () => {
      current = false
    }
    // The caller's deps say when to load again.
  }, [generation, ...deps])
  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  return { loaded, reload }
}
