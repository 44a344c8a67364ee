import { sql, type SelectQueryBuilder } from 'kysely'
import { Type, type TSchema } from 'typebox'
import { StudioError } from '../errors.js'

/** The query every list route takes. `sort` is a field, `-field` for descending. */
export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Items per page.' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page.' })),
  sort: Type.Optional(Type.String({ maxLength: 64, description: 'A sortable field; prefix `-` for descending.' })),
}

export function ListQuerySchema<P extends Record<string, TSchema>>(filters: P) {
  return Type.Object({ ...ListQuery, ...filters }, { additionalProperties: false })
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last.' }) })
}

export type PageOf<T> = { items: T[]; nextCursor: string | null }

interface Cursor {
  /** The sort the cursor was made for. */
  s: string
  v: string | number | boolean
  id: string | number
}

export interface ListOptions {
  /** API field → column (also the row's key for it). Sort columns must not be null. */
  sortable: Record<string, string>
  defaultSort: string
  /** The unique tie-breaker column. */
  idColumn: string
  query: { limit?: number | undefined; cursor?: string | undefined; sort?: string | undefined }
}

function decodeCursor(cursor: string, sort: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor
    if (parsed.s === sort && ['string', 'number', 'boolean'].includes(typeof parsed.v) && ['string', 'number'].includes(typeof parsed.id)) return parsed
  } catch {
    // falls through to the error
  }
  throw new StudioError('VALIDATION_FAILED', 'the cursor is not one this list gave for this sort', { details: [{ path: 'query/cursor', message: 'not a cursor of this list and sort' }] })
}

function cursorValue(value: unknown): string | number {
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string' || typeof value === 'number') return value
  return String(value)
}

/**
 * One page of a list, by keyset (the sort column and the id, both indexed):
 * the millionth row is as quick to reach as the first, and rows written
 * meanwhile neither repeat nor vanish across pages.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function listPage<DB, TB extends keyof DB, O extends Record<string, any>>(query: SelectQueryBuilder<DB, TB, O>, options: ListOptions): Promise<PageOf<O>> {
  const sort = options.query.sort ?? options.defaultSort
  const desc = sort.startsWith('-')
  const field = desc ? sort.slice(1) : sort
  // Own keys only: `sort=__proto__` or `sort=constructor` must not find Object's.
  const column = Object.hasOwn(options.sortable, field) ? options.sortable[field] : undefined
  if (!column) {
    throw new StudioError('VALIDATION_FAILED', `cannot sort by "${field}"`, {
      details: [{ path: 'query/sort', message: `one of ${Object.keys(options.sortable).map((f) => `${f}, -${f}`).join(', ')}` }],
    })
  }
  const limit = options.query.limit ?? 50
  const op = desc ? '<' : '>'
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let q = query as SelectQueryBuilder<any, any, O>
  if (options.query.cursor) {
    const cursor = decodeCursor(options.query.cursor, sort)
    const col = sql.ref(column)
    const id = sql.ref(options.idColumn)
    // A row comparison, not `col < v or (col = v and id < id0)`: Postgres turns it into one index
    // range condition, so a deep page starts where the cursor is instead of scanning up to it.
    q = q.where(sql<boolean>`(${col}, ${id}) ${sql.raw(op)} (${cursor.v}, ${cursor.id})`)
  }
  const direction = desc ? 'desc' : 'asc'
  const rows = await q.orderBy(sql.ref(column), direction).orderBy(sql.ref(options.idColumn), direction).limit(limit + 1).execute()
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const key = (name: string) => name.split('.').at(-1)!
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(JSON.stringify({ s: sort, v: cursorValue(last[key(column)]), id: cursorValue(last[key(options.idColumn)]) } satisfies Cursor)).toString('base64url')
      : null
  return { items, nextCursor }
}

/** `%` and `_` in a search term match themselves (for `ilike` filters). */
function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** The `?q=` filter of a list: rows where any of `columns` contains `term`, case-insensitively. */
export function containsText(columns: string[], term: string) {
  const pattern = `%${escapeLike(term)}%`
  return sql<boolean>`(${sql.join(
    columns.map((column) => sql`${sql.ref(column)} ilike ${pattern}`),
    sql` or `,
  )})`
}
