import type { ReactNode } from 'react'
import type { Loaded } from '../api/use-api-data'
import { ErrorMessage } from './form-controls'

/** Data a page loads, as the page shows it: "Loading…", the API's error message, or what `children` makes of the data. */
export function LoadedView<T>(props: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  const { loaded } = props
  if (loaded.state === 'loading') return <p className="loading">Loading…</p>
  if (loaded.state === 'failed') return <ErrorMessage message={loaded.message} />
  return <>{props.children(loaded.data)}</>
}
