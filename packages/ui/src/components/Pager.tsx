import type { PagedData } from '../api/use-paged-data'

/**
 * "Previous" and "Next" under a paged list, with the page number; nothing
 * when the list fits on one page. While a page loads it says so, and the
 * buttons wait for it.
 */
export function Pager<T>(props: { paged: PagedData<T>; label: string }) {
  const { next, previous, pageNumber, pending } = props.paged
  if (!next && !previous) return null
  return (
    <nav className="pager" aria-label={props.label} aria-busy={pending}>
      <button type="button" disabled={pending || !previous} onClick={previous}>
        ← Previous
      </button>
      <span>{pending ? `Loading page ${pageNumber}…` : `Page ${pageNumber}`}</span>
      <button type="button" disabled={pending || !next} onClick={next}>
        Next →
      </button>
    </nav>
  )
}
