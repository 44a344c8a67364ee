import type { StudioDb } from '../db/database.js'
import type { Trx } from '../api/writes.js'
import { StudioError } from '../errors.js'

/** Tables a body may point into: users by id; the others by id or slug. */
export type ReferencedTable = 'users' | 'llms' | 'apps' | 'tools' | 'datasources'

/** Each ref (an id, or a slug) that names a row of `table` → that row's id, in one query. */
async function idsOf(db: StudioDb | Trx, table: ReferencedTable, refs: readonly string[]): Promise<Map<string, string>> {
  const rows =
    table === 'users'
      ? await db.selectFrom('users').select(['id', 'id as slug']).where('id', 'in', [...refs]).execute()
      : await db
          .selectFrom(table as 'llms')
          .select(['id', 'slug'])
          .where((eb) => eb.or([eb('id', 'in', [...refs]), eb('slug', 'in', [...refs])]))
          .execute()
  const idOf = new Map<string, string>()
  for (const row of rows) {
    idOf.set(row.id, row.id)
    idOf.set(row.slug, row.id)
  }
  return idOf
}

/**
 * The ids `refs` name in `table`, in the order given, in one query. Any ref
 * that names nothing fails the whole write with REFERENCE_NOT_FOUND, one
 * detail per ref at fault (`/allowedLlms/2`).
 */
export async function resolveReferences(db: StudioDb | Trx, table: ReferencedTable, refs: readonly string[], path: string): Promise<string[]> {
  if (refs.length === 0) return []
  const idOf = await idsOf(db, table, refs)
  const missing = refs.flatMap((ref, index) => (idOf.has(ref) ? [] : [{ path: `${path}/${index}`, message: ref === '*' ? '"*" (every LLM) is not supported: list them' : `names no existing ${table.slice(0, -1)}` }]))
  if (missing.length > 0) {
    throw new StudioError('REFERENCE_NOT_FOUND', `${missing.length === 1 ? 'one entry' : `${missing.length} entries`} of ${path.slice(1)} name${missing.length === 1 ? 's' : ''} nothing in ${table}`, { details: missing.slice(0, 20) })
  }
  // Given an id and the slug of one object, it is kept once.
  return [...new Set(refs.map((ref) => idOf.get(ref)!))]
}

/** The id one field names in `table` (`/appId`: an id or a slug); REFERENCE_NOT_FOUND at `path` otherwise. */
export async function resolveReference(db: StudioDb | Trx, table: ReferencedTable, ref: string, path: string): Promise<string> {
  const id = (await idsOf(db, table, [ref])).get(ref)
  if (id === undefined) throw new StudioError('REFERENCE_NOT_FOUND', `no ${table.slice(0, -1)} "${ref}"`, { details: [{ path, message: `names no existing ${table.slice(0, -1)}` }] })
  return id
}
