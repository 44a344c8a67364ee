/** The page sizes a log offers (the API allows up to 200). */
const PAGE_SIZES = [25, 50, 100, 200] as const

/** How many rows a page of a log shows; a new size starts again at the first page (it is part of the list's deps). */
export function PageSizeSelect(props: { value: number; onChange: (size: number) => void }) {
  return (
    <label className="page-size">
      Rows per page{' '}
      <select value={props.value} onChange={(e) => props.onChange(Number(e.target.value))}>
        {PAGE_SIZES.map((size) => (
          <option key={size} value={size}>
            {size}
          </option>
        ))}
      </select>
    </label>
  )
}
