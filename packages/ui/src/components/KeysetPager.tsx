import type { KeysetPages } from '../api/use-keyset-pages'

/** The page sizes a log offers (the API allows up to 200). */
export const PAGE_SIZES = [25, 50, 100, 200] as const

/** Previous / Next and the page size of a keyset-paged list; the buttons wait while a page is on its way. */
export function KeysetPager<T>(props: { pages: KeysetPages<T>; pageSize: number; onPageSize: (size: number) => void; label: string }) {
  const { pages } = props
  return (
    <nav className="pager" aria-label={props.label}>
      <button type="button" disabled={!pages.previous} onClick={pages.previous}>
        Previous
      </button>
      <span aria-live="polite">{pages.busy ? `Loading page ${pages.number}…` : `Page ${pages.number}`}</span>
      <button type="button" disabled={!pages.next} onClick={pages.next}>
        Next
      </button>
      <label>
        Rows per page{' '}
        <select value={props.pageSize} onChange={(e) => props.onPageSize(Number(e.target.value))}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
    </nav>
  )
}
