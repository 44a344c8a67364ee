import type { PagedData } from '../api/use-paged-data'

/** "Previous" and "Next" under a paged list, with the page number; nothing when the list fits on one page. */
export function Pager<T>(props: { paged: PagedData<T>; label: string }) {
  const { next, previous, pageNumber } = props.paged
  if (!next && !previous) return null
  return (
    <nav className="pager" aria-label={props.label}>
      <button type="button" disabled={!previous} onClick={previous}>
        ← Previous
      </button>
      <span>Page {pageNumber}</span>
      <button type="button" disabled={!next} onClick={next}>
        Next →
      </button>
    </nav>
  )
}
