/** A list page of the admin API. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}
