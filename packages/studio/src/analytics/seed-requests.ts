import { sql } from 'kysely'
import type { StudioDb } from '../db/database.js'

export interface SeedRequestsOptions {
  /** The newest row's time (default now). */
  end?: Date
  /** How far back the rows spread, evenly (default 30 days); a short span gives rows that share a timestamp. */
  spanMs?: number
}

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000

/**
 * Inserts `count` synthetic request rows in one `generate_series` INSERT,
 * for benchmarks and tests: row i (1 = oldest) is at `end − (count − i) ×
 * spanMs / count`, of app `seed-app-{i % 10}`, of LLM `openai` / `anthropic`
 * / `mock` (i % 3) with two models each, mostly status 200 with a share of
 * 401, 429 and 500. Its values are a function of i, so sums are known.
 * Then it ANALYZEs the table: after a bulk load the planner has no
 * statistics until autovacuum runs (never, on the embedded database), and
 * without them it picks the wrong index for a filtered request-log page.
 */
export async function seedRequests(db: StudioDb, count: number, options: SeedRequestsOptions = {}): Promise<void> {
  const end = (options.end ?? new Date()).toISOString()
  const span = options.spanMs ?? THIRTY_DAYS_MS
  await sql`
    insert into requests (at, request_id, api, app_id, user_id, llm, model, status, error_code, prompt_tokens, completion_tokens, cost, latency_ms, streamed, aborted)
    select
      ${end}::timestamptz - make_interval(secs => floor((${count}::int - i)::float8 * ${span}::float8 / ${count}::int) / 1000.0),
      'seed-' || i,
      case when i % 5 = 0 then 'embeddings' else 'chat.completions' end,
      'seed-app-' || (i % 10),
      'seed-user-' || (i % 4),
      (array['openai', 'anthropic', 'mock'])[i % 3 + 1],
      (array['gpt-4o', 'claude-sonnet', 'mock-gpt', 'gpt-4o-mini', 'claude-haiku', 'mock-small'])[i % 6 + 1],
      s.status,
      case s.status when 401 then 'INVALID_API_KEY' when 429 then 'BUDGET_EXCEEDED' when 500 then 'UPSTREAM_ERROR' end,
      case when s.status = 200 then 10 + i % 500 else 0 end,
      case when s.status = 200 then 5 + i % 300 else 0 end,
      case when s.status = 200 then ((10 + i % 500) * 1 + (5 + i % 300) * 2) / 1000000.0 else 0 end,
      20 + (i * 37) % 2000,
      i % 2 = 0,
      i % 200 = 0
    from generate_series(1, ${count}::int) as i,
      lateral (select case when i % 97 = 0 then 500 when i % 50 = 0 then 429 when i % 31 = 0 then 401 else 200 end as status) as s
  `.execute(db)
  await sql`analyze requests`.execute(db)
}
