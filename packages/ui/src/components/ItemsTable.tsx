import type { ReactNode } from 'react'

/** A list as a table, a row an item (`children` makes each `<tr>`, with its key), or the `empty` text when there are none. */
export function ItemsTable<T>(props: { items: readonly T[]; headers: readonly string[]; empty: ReactNode; label?: string; children: (item: T) => ReactNode }) {
  if (props.items.length === 0) return <p>{props.empty}</p>
  return (
    <table aria-label={props.label}>
      <thead>
        <tr>
          {props.headers.map((header, column) => (
            <th key={column}>{header}</th>
          ))}
        </tr>
      </thead>
      <tbody>{props.items.map(props.children)}</tbody>
    </table>
  )
}
