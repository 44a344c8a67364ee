import { constants, existsSync } from 'node:fs'
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Kysely, Migrator, PostgresDialect, type MigrationProvider } from 'kysely'
import pg from 'pg'
import { StudioError } from '../errors.js'
import { MIGRATIONS_FINGERPRINT, migrations } from './migrations/index.js'
import { PGliteWorkerDialect } from './pglite-dialect.js'
import type { StudioSchema } from './schema.js'

export type StudioDb = Kysely<StudioSchema>

/** Where Studio keeps its data: PostgreSQL at `url`, or the embedded PGlite in `dataDir`. */
export type DatabaseLocation = { url: string } | { dataDir: string }

export interface StudioDatabase {
  readonly db: StudioDb
  readonly kind: 'embedded' | 'postgres'
  /** Where it is, for logs: the data directory, or the URL without its password. */
  readonly where: string
  /** Whether this start created the database (first start: seed it). */
  readonly created: boolean
  close(): Promise<void>
}

/** A data directory holds one Studio at a time; the lock file names the holder. */
const LOCK_FILE = 'studio.lock'
const PGLITE_DIR = 'pglite'
/**
 * The template: a dump of a fresh, migrated embedded database, made at build
 * time (npm install). Its name carries the fingerprint of the migration
 * history it holds, so a build with new or edited migrations makes a new one
 * and a stale one is never used.
 */
export const TEMPLATE_FILE = resolve(new URL(`../../template/embedded-${MIGRATIONS_FINGERPRINT}.tar`, import.meta.url).pathname)

/**
 * Opens the database and runs the migrations it has not run yet. The
 * embedded one runs in a worker thread (see PGliteWorkerDialect); a new data
 * directory starts from the build-time template when there is one (0.3 s
 * instead of initdb's 2.7 s). Refuses a data directory another running Studio
 * holds (DATA_DIR_LOCKED). `history` is the migration history (Studio's own;
 * another only in tests of migrating itself).
 */
export async function openDatabase(location: DatabaseLocation, history: MigrationProvider = migrations): Promise<StudioDatabase> {
  return 'url' in location ? openPostgres(location.url, history) : openEmbedded(resolve(location.dataDir), history)
}

async function openPostgres(url: string, history: MigrationProvider): Promise<StudioDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 })
  // A connection the server (or the network) dropped reports an error event: on the pool while it
  // is idle, on the client while a query holds it. Without a listener either would crash the
  // process; the query itself fails and answers DATABASE_UNAVAILABLE.
  pool.on('error', () => undefined)
  pool.on('connect', (client) => client.on('error', () => undefined))
  const db = new Kysely<StudioSchema>({ dialect: new PostgresDialect({ pool }) })
  const where = redactUrl(url)
  try {
    const created = await migrate(db, history)
    return { db, kind: 'postgres', where, created, close: () => db.destroy() }
  } catch (error) {
    await db.destroy()
    throw error
  }
}

async function openEmbedded(dataDir: string, history: MigrationProvider): Promise<StudioDatabase> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const releaseLock = await lockDataDir(dataDir)
  const pgliteDir = join(dataDir, PGLITE_DIR)
  const fresh = !existsSync(join(pgliteDir, 'PG_VERSION'))
  if (fresh) await rm(pgliteDir, { recursive: true, force: true })
  const template = fresh && history === migrations && existsSync(TEMPLATE_FILE) ? TEMPLATE_FILE : undefined
  const dialect = new PGliteWorkerDialect({ dataDir: pgliteDir, ...(template && { template }) })
  const db = new Kysely<StudioSchema>({ dialect })
  try {
    await migrate(db, history)
    return {
      db,
      kind: 'embedded',
      where: dataDir,
      created: fresh,
      close: async () => {
        await db.destroy()
        await releaseLock()
      },
    }
  } catch (error) {
    await db.destroy()
    await releaseLock()
    throw error
  }
}

/** Runs pending migrations; resolves true when the database had none applied (it is new). */
async function migrate(db: StudioDb, history: MigrationProvider = migrations): Promise<boolean> {
  const migrator = new Migrator({ db, provider: history })
  const before = (await migrator.getMigrations()).filter((m) => m.executedAt).length
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw databaseError(error, failed ? `migration ${failed.migrationName} failed` : 'migrations failed')
  }
  return before === 0
}

/** The lock files this process holds: a lock naming our pid that is not among them was left by an earlier process with the same pid. */
const heldHere = new Set<string>()

/**
 * Takes the data directory's lock file (created exclusively, holding our
 * pid). A lock left by a process that is gone is taken over, and so is one
 * naming our own pid that this process does not hold (a container's process
 * has the same pid every start: after a SIGKILL its restart would be refused
 * for ever); one held by a live process refuses with DATA_DIR_LOCKED.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = resolve(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      heldHere.add(file)
      return async () => {
        heldHere.delete(file)
        await rm(file, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
      const ours = holder === process.pid && !heldHere.has(file)
      if (Number.isInteger(holder) && holder > 0 && !ours && isAlive(holder)) {
        throw new StudioError('DATA_DIR_LOCKED', `the data directory ${dataDir} is in use by another Studio (pid ${holder}); stop it, or start this one with another --data`)
      }
      await rm(file, { force: true })
    }
  }
  throw new StudioError('DATA_DIR_LOCKED', `could not take the lock of the data directory ${dataDir}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres'
  }
}

/** Makes the first-start template: a fresh database, migrated, dumped to TEMPLATE_FILE. */
export async function buildTemplate(scratchDir: string): Promise<void> {
  await rm(scratchDir, { recursive: true, force: true })
  const dialect = new PGliteWorkerDialect({ dataDir: scratchDir })
  const db = new Kysely<StudioSchema>({ dialect })
  try {
    await migrate(db)
    const dump = await dialect.dump()
    const dir = resolve(TEMPLATE_FILE, '..')
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await writeFile(TEMPLATE_FILE, dump)
  } finally {
    await db.destroy()
    await rm(scratchDir, { recursive: true, force: true })
  }
}

/** SQLSTATE classes and client errors that mean the database cannot be reached (as opposed to a bad statement). */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i

/** Whether an error means the database is away (503 and retry) rather than the statement is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown }
  if (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code))) return true
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)
}

/** How long a client should wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_S = 2

/** DATABASE_UNAVAILABLE (with Retry-After) for an unreachable database; anything else unchanged. */
export function databaseError(error: unknown, context = 'the database'): unknown {
  if (!isDatabaseUnavailable(error)) return error
  return new StudioError('DATABASE_UNAVAILABLE', `${context}: the database is unavailable (${(error as Error).message}); retry shortly`, {
    cause: error,
    headers: { 'retry-after': String(DATABASE_RETRY_AFTER_S) },
  })
}
