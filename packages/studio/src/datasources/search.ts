import { sql } from 'kysely'
import { findRow } from '../api/resource.js'
import type { Trx } from '../api/writes.js'
import type { StudioDb } from '../db/database.js'
import { StudioError } from '../errors.js'

/**
 * The text search configurations a datasource may use: the ones PostgreSQL
 * 15+ and PGlite both ship, so a datasource moves between them unchanged.
 */
export const SEARCH_LANGUAGES = [
  'simple', 'arabic', 'armenian', 'basque', 'catalan', 'danish', 'dutch', 'english', 'finnish', 'french', 'german', 'greek', 'hindi', 'hungarian', 'indonesian',
  'irish', 'italian', 'lithuanian', 'nepali', 'norwegian', 'portuguese', 'romanian', 'russian', 'serbian', 'spanish', 'swedish', 'tamil', 'turkish', 'yiddish',
] as const
/** The longest query: long enough for a pasted paragraph, short enough to rank quickly. */
export const MAX_QUERY_CHARS = 16_384
/** The most chunks a query answers. */
export const MAX_QUERY_LIMIT = 50
/** Rows per INSERT: each chunk is sent twice (content and its tsvector's input), so this bounds a statement to ~2 MB. */
const INSERT_BATCH = 500

/** One ranked chunk: the higher the score, the better it matches. */
export interface ChunkMatch {
  documentId: string
  documentName: string
  ordinal: number
  content: string
  score: number
}

function regconfig(language: string) {
  // The language was checked against SEARCH_LANGUAGES on write; the cast makes it a parameter all the same.
  return sql`${language}::regconfig`
}

/** Stores a document's chunks with their search vectors, in the caller's transaction. */
export async function indexChunks(trx: Trx, target: { datasourceId: string; documentId: string; language: string }, chunks: string[]): Promise<void> {
  for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
    await trx
      .insertInto('chunks')
      .values(
        chunks.slice(start, start + INSERT_BATCH).map((content, i) => ({
          document_id: target.documentId,
          datasource_id: target.datasourceId,
          ordinal: start + i,
          content,
          search: sql`to_tsvector(${regconfig(target.language)}, ${content})`,
        })),
      )
      .execute()
  }
}

/** Recomputes every chunk's search vector of a datasource whose language changed. */
export async function reindexDatasource(trx: Trx, datasourceId: string, language: string): Promise<void> {
  await trx
    .updateTable('chunks')
    .set({ search: sql`to_tsvector(${regconfig(language)}, content)` })
    .where('datasource_id', '=', datasourceId)
    .execute()
}

/**
 * The chunks of a datasource (by id or slug) that best match `query`, best
 * first. The query is read as a web search box reads it
 * (`websearch_to_tsquery`: words, "quoted phrases", `or`, `-excluded`), so no
 * input is a syntax error; one of only stop words or punctuation matches
 * nothing. VALIDATION_FAILED when the query is blank or longer than
 * MAX_QUERY_CHARS, or `limit` is not 1..MAX_QUERY_LIMIT; NOT_FOUND for an
 * unknown datasource.
 * @example await queryDatasource(db, 'handbook', 'expense "travel policy" -draft', 5)
 */
export async function queryDatasource(db: StudioDb, datasourceId: string, query: string, limit = 10): Promise<ChunkMatch[]> {
  const text = query.trim()
  if (text === '' || text.length > MAX_QUERY_CHARS) {
    throw new StudioError('VALIDATION_FAILED', text === '' ? 'the query is blank' : `the query is longer than ${MAX_QUERY_CHARS} characters`, { details: [{ path: '/query', message: text === '' ? 'is blank' : 'is too long' }] })
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new StudioError('VALIDATION_FAILED', `limit must be 1 to ${MAX_QUERY_LIMIT}`, { details: [{ path: '/limit', message: `must be 1 to ${MAX_QUERY_LIMIT}` }] })
  }
  const datasource = await findRow(db, 'datasources', datasourceId, 'datasource')
  const { rows } = await sql<{ document_id: string; document_name: string; ordinal: number; content: string; score: number }>`
    select c.document_id, d.name as document_name, c.ordinal, c.content, ts_rank_cd(c.search, q.query) as score
    from chunks c
    join documents d on d.id = c.document_id
    cross join websearch_to_tsquery(${regconfig(datasource.language)}, ${text}) as q(query)
    where c.datasource_id = ${datasource.id} and c.search @@ q.query
    order by score desc, c.document_id, c.ordinal
    limit ${limit}`.execute(db)
  return rows.map((row) => ({ documentId: row.document_id, documentName: row.document_name, ordinal: row.ordinal, content: row.content, score: Number(row.score) }))
}
