import { KV_ENTRY_OVERHEAD_BYTES, PlugboardError, parseCounter, type KvStore, type ServiceApiErrorCode } from '@plugboard/proto'
import { sql, type RawBuilder } from 'kysely'
import type { Logger } from 'pino'
import type { StudioDb } from '../db/database.js'

/** Caps and housekeeping of a {@link PostgresKvStore}. Sizes count as MemoryKvStore counts them. */
export interface PostgresKvStoreOptions {
  db: StudioDb
  logger: Logger
  /** What one namespace (one plugin) may hold. Default 16 MiB. */
  maxNamespaceBytes?: number
  /** The largest value. Default 1 MiB. */
  maxValueBytes?: number
  /** How often expired rows are deleted. Default 30 s. */
  sweepIntervalMs?: number
  /** Rows one sweep statement deletes; a sweep repeats it up to 10 times. Default 1000. */
  sweepBatch?: number
  /**
   * Keep an exact copy of what was read and written in this process and answer
   * gets from it. Correct only when this process is the table's one writer:
   * the embedded database, whose data-directory lock admits one Studio. Never
   * with a shared PostgreSQL (another node's writes would not be seen).
   */
  exactReadCache?: boolean
  /** Entries the read cache holds at most (oldest dropped first). Default 50,000. */
  cacheEntries?: number
}

const MiB = 1024 * 1024
/** A counter must stay a JavaScript safe integer, as MemoryKvStore keeps it. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER
const SWEEP_ROUNDS = 10

const kvError = (code: ServiceApiErrorCode, message: string) => new PlugboardError<ServiceApiErrorCode>(code, message)

/** A row's bytes as the `plugin_kv_account` trigger counts them (migration 0002). */
const rowSize = (key: RawBuilder<unknown>, value: RawBuilder<unknown>) => sql<number>`(octet_length(${key}) + octet_length(${value}) + ${sql.lit(KV_ENTRY_OVERHEAD_BYTES)})`
const TABLE_SIZE = rowSize(sql.ref('plugin_kv.key'), sql.ref('plugin_kv.value'))
const LIVE = sql<boolean>`(plugin_kv.expires_at is null or plugin_kv.expires_at > now())`

interface InFlight {
  reads: number
  writes: number
  /** Writes started since the record was made. */
  generation: number
}

interface Cached {
  value: Buffer | undefined
  /** ms since the epoch; Infinity when it never expires. */
  expiresAt: number
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw new TypeError('plugin_kv.value is not bytes')
}

const expiryOf = (ttlMs: number) => (ttlMs > 0 ? sql<Date>`now() + ${ttlMs} * interval '1 millisecond'` : sql<null>`null`)
const expiresAtMs = (expiresAt: Date | string | null) => (expiresAt === null ? Infinity : new Date(expiresAt).getTime())

/**
 * The KvStore behind Studio's Service API: table `plugin_kv`, shared by every
 * Studio and gateway on one database, so counters and compare-and-set are
 * exact across them (a rate limiter counts every gateway's requests). Each
 * operation is one statement: increment is an upsert whose update reads the
 * row it locked, compare-and-set a conditional update (or an insert that does
 * nothing on conflict), and an expired row counts as absent inside the same
 * statement. Expired rows are never returned and are deleted in bounded
 * batches by a sweep whose timer keeps no process alive (`stop()` ends it).
 *
 * Quota: a write is refused (KV_QUOTA_EXCEEDED) when the namespace's bytes,
 * kept exactly by a trigger, plus the write's growth exceed the cap. The check
 * reads the bytes as the statement starts, so writes racing on one namespace
 * can overshoot the cap by what they add together (at most the host's
 * in-flight calls times one value); the count itself never drifts.
 */
export class PostgresKvStore implements KvStore {
  readonly #db: StudioDb
  readonly #logger: Logger
  readonly #maxNamespaceBytes: number
  readonly #maxValueBytes: number
  readonly #sweepBatch: number
  readonly #sweeper: NodeJS.Timeout
  #sweeping: Promise<void> | undefined
  #stopped = false
  readonly #cache: Map<string, Cached> | undefined
  readonly #cacheEntries: number
  /** Keys being read or written: a read that overlapped a write does not fill the cache with what it read. */
  readonly #inFlight = new Map<string, InFlight>()

  constructor(options: PostgresKvStoreOptions) {
    this.#db = options.db
    this.#logger = options.logger
    this.#maxNamespaceBytes = options.maxNamespaceBytes ?? 16 * MiB
    this.#maxValueBytes = options.maxValueBytes ?? MiB
    this.#sweepBatch = options.sweepBatch ?? 1000
    this.#cache = options.exactReadCache ? new Map() : undefined
    this.#cacheEntries = options.cacheEntries ?? 50_000
    this.#sweeper = setInterval(() => void this.sweep(), options.sweepIntervalMs ?? 30_000).unref()
  }

  async get(namespace: string, key: string): Promise<Buffer | undefined> {
    const id = cacheKey(namespace, key)
    const cached = this.#cache?.get(id)
    if (cached) return cached.expiresAt > Date.now() ? cached.value : undefined
    const track = this.#cache && this.#track(id, 'reads')
    const generation = track?.generation
    try {
      const { rows } = await sql<{ value: unknown; expires_at: Date | null }>`
        select value, expires_at from plugin_kv where namespace = ${namespace} and key = ${key} and ${LIVE}`.execute(this.#db)
      const row = rows[0]
      const value = row ? toBuffer(row.value) : undefined
      if (track && track.generation === generation) this.#remember(id, value, row ? expiresAtMs(row.expires_at) : Infinity)
      return value
    } finally {
      if (track) this.#untrack(id, track, 'reads')
    }
  }

  async set(namespace: string, key: string, value: Buffer, ttlMs: number): Promise<void> {
    this.#checkValue(value)
    const written = await this.#write(namespace, key, async () => {
      const size = rowSize(sql`${key}::text`, sql`${value}::bytea`)
      const { rows } = await sql<{ expires_at: Date | null }>`
        insert into plugin_kv (namespace, key, value, expires_at)
        select ${namespace}, ${key}, ${value}, ${expiryOf(ttlMs)}
        where ${this.#usage(namespace)} + ${size} - coalesce((select ${TABLE_SIZE} from plugin_kv where namespace = ${namespace} and key = ${key}), 0) <= ${this.#maxNamespaceBytes}
        on conflict (namespace, key) do update set value = excluded.value, expires_at = excluded.expires_at
          where ${this.#usage(namespace)} + ${size} - ${TABLE_SIZE} <= ${this.#maxNamespaceBytes}
        returning expires_at`.execute(this.#db)
      return rows[0] && { value, expiresAt: expiresAtMs(rows[0].expires_at) }
    })
    if (!written) throw this.#quotaError(namespace, key)
  }

  async increment(namespace: string, key: string, delta: number, ttlMs: number): Promise<number> {
    if (!Number.isSafeInteger(delta)) throw kvError('SERVICE_INVALID_REQUEST', `KV increment delta ${delta} is not a safe integer`)
    const fresh = Buffer.from(String(delta))
    const expired = sql<boolean>`(plugin_kv.expires_at is not null and plugin_kv.expires_at <= now())`
    const counter = sql`convert_from(plugin_kv.value, 'UTF8')::numeric`
    const written = await this.#write(namespace, key, async () => {
      // The update's WHERE is a CASE so the cast runs only on a value that is a counter. Growth of an
      // existing counter (a few digits) is not checked against the quota; creating one is.
      const { rows } = await sql<{ value: unknown; expires_at: Date | null }>`
        insert into plugin_kv (namespace, key, value, expires_at)
        select ${namespace}, ${key}, ${fresh}, ${expiryOf(ttlMs)}
        where exists (select 1 from plugin_kv where namespace = ${namespace} and key = ${key})
           or ${this.#usage(namespace)} + ${rowSize(sql`${key}::text`, sql`${fresh}::bytea`)} <= ${this.#maxNamespaceBytes}
        on conflict (namespace, key) do update set
          value = case when ${expired} then excluded.value else convert_to((${counter} + ${delta})::text, 'UTF8') end,
          expires_at = case when ${expired} then excluded.expires_at else plugin_kv.expires_at end
          where case
            when ${expired} then true
            when encode(plugin_kv.value, 'escape') ~ '^-?[0-9]{1,19}$' then abs(${counter} + ${delta}) <= ${MAX_COUNTER}
            else false
          end
        returning value, expires_at`.execute(this.#db)
      return rows[0] && { value: toBuffer(rows[0].value), expiresAt: expiresAtMs(rows[0].expires_at) }
    })
    if (written) return Number(written.value.toString('utf8'))
    // Refused: say why, from what the key holds now.
    const current = await this.get(namespace, key)
    if (current === undefined) throw this.#quotaError(namespace, key)
    const value = parseCounter(current, key) + delta
    if (!Number.isSafeInteger(value)) throw kvError('SERVICE_INVALID_REQUEST', `KV counter "${key}" would leave the safe integer range`)
    throw this.#quotaError(namespace, key)
  }

  async compareAndSet(namespace: string, key: string, expected: Buffer | undefined, value: Buffer, ttlMs: number): Promise<{ swapped: boolean; current: Buffer | undefined }> {
    this.#checkValue(value)
    const size = rowSize(sql`${key}::text`, sql`${value}::bytea`)
    const written = await this.#write(namespace, key, async () => {
      const { rows } =
        expected === undefined
          ? await sql<{ expires_at: Date | null }>`
              insert into plugin_kv (namespace, key, value, expires_at)
              select ${namespace}, ${key}, ${value}, ${expiryOf(ttlMs)}
              where exists (select 1 from plugin_kv where namespace = ${namespace} and key = ${key})
                 or ${this.#usage(namespace)} + ${size} <= ${this.#maxNamespaceBytes}
              on conflict (namespace, key) do update set value = excluded.value, expires_at = excluded.expires_at
                where not ${LIVE} and ${this.#usage(namespace)} + ${size} - ${TABLE_SIZE} <= ${this.#maxNamespaceBytes}
              returning expires_at`.execute(this.#db)
          : await sql<{ expires_at: Date | null }>`
              update plugin_kv set value = ${value}, expires_at = ${expiryOf(ttlMs)}
              where namespace = ${namespace} and key = ${key} and value = ${expected} and ${LIVE}
                and ${this.#usage(namespace)} + ${size} - ${TABLE_SIZE} <= ${this.#maxNamespaceBytes}
              returning expires_at`.execute(this.#db)
      return rows[0] && { value, expiresAt: expiresAtMs(rows[0].expires_at) }
    })
    if (written) return { swapped: true, current: value }
    const current = await this.get(namespace, key)
    const matched = expected === undefined ? current === undefined : current !== undefined && current.equals(expected)
    // It held what was expected, so it was the quota that refused (or the key changed twice meanwhile).
    if (matched) throw this.#quotaError(namespace, key)
    return { swapped: false, current }
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    const deleted = await this.#write(namespace, key, async () => {
      const { rows } = await sql<{ live: boolean }>`
        delete from plugin_kv where namespace = ${namespace} and key = ${key} returning ${LIVE} as live`.execute(this.#db)
      return { value: undefined, expiresAt: Infinity, live: rows[0]?.live === true }
    })
    return deleted?.live === true
  }

  async list(namespace: string, prefix: string, limit: number): Promise<Array<{ key: string; value: Buffer }>> {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const { rows } = await sql<{ key: string; value: unknown }>`
      select key, value from plugin_kv
      where namespace = ${namespace} and key like ${pattern} escape '\\' and ${LIVE}
      order by key collate "C" limit ${limit}`.execute(this.#db)
    return rows.map((row) => ({ key: row.key, value: toBuffer(row.value) }))
  }

  /**
   * Deletes expired rows, at most 10 batches a run; one run at a time. Errors
   * are logged, not thrown (two nodes sweeping at once may deadlock on the
   * usage rows; the database then aborts one, which sweeps next time).
   */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweepRounds().finally(() => (this.#sweeping = undefined))
    return this.#sweeping
  }

  /** Stops the sweep timer and waits for a sweep in progress; safe to call more than once. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#sweeper)
    await this.#sweeping
  }

  async #sweepRounds(): Promise<void> {
    try {
      for (let round = 0; round < SWEEP_ROUNDS && !this.#stopped; round++) {
        const result = await sql`
          delete from plugin_kv where (namespace, key) in (
            select namespace, key from plugin_kv where expires_at <= now() limit ${this.#sweepBatch} for update skip locked
          )`.execute(this.#db)
        if (Number(result.numAffectedRows ?? 0) < this.#sweepBatch) break
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'plugin KV sweep failed; the next one retries')
    }
  }

  /** The namespace's bytes now (a scalar subquery of one primary-key row). */
  #usage(namespace: string) {
    return sql<number>`coalesce((select bytes from plugin_kv_usage where namespace = ${namespace}), 0)`
  }

  #checkValue(value: Buffer): void {
    if (value.length > this.#maxValueBytes) {
      throw kvError('KV_VALUE_TOO_LARGE', `KV value of ${value.length} bytes is larger than the ${this.#maxValueBytes} bytes a value may have`)
    }
  }

  #quotaError(namespace: string, key: string): PlugboardError<ServiceApiErrorCode> {
    return kvError('KV_QUOTA_EXCEEDED', `writing "${key}" would take namespace "${namespace}" over its cap of ${this.#maxNamespaceBytes} bytes; delete keys or give them a TTL`)
  }

  /**
   * Runs one write and keeps the read cache exact: the write's outcome is
   * cached only when no other write of the key started meanwhile (else the
   * key is dropped and the next get reads the database); a failed write drops it.
   */
  async #write<T extends { value: Buffer | undefined; expiresAt: number }>(namespace: string, key: string, statement: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.#cache) return statement()
    const id = cacheKey(namespace, key)
    const track = this.#track(id, 'writes')
    const generation = ++track.generation
    try {
      const outcome = await statement()
      if (outcome && track.generation === generation) this.#remember(id, outcome.value, outcome.expiresAt)
      else this.#cache.delete(id)
      return outcome
    } catch (error) {
      this.#cache.delete(id)
      throw error
    } finally {
      this.#untrack(id, track, 'writes')
    }
  }

  /** The in-flight record of a cached key, kept while any read or write of it runs (so its generation never restarts under one). */
  #track(id: string, kind: 'reads' | 'writes'): InFlight {
    let track = this.#inFlight.get(id)
    if (!track) this.#inFlight.set(id, (track = { reads: 0, writes: 0, generation: 0 }))
    track[kind]++
    return track
  }

  #untrack(id: string, track: InFlight, kind: 'reads' | 'writes'): void {
    track[kind]--
    if (track.reads === 0 && track.writes === 0) this.#inFlight.delete(id)
  }

  #remember(id: string, value: Buffer | undefined, expiresAt: number): void {
    const cache = this.#cache
    if (!cache) return
    cache.delete(id)
    cache.set(id, { value, expiresAt })
    if (cache.size > this.#cacheEntries) cache.delete(cache.keys().next().value!)
  }
}

const cacheKey = (namespace: string, key: string) => `${namespace}\u0000${key}`
