import { Worker } from 'node:worker_threads'
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely'
import type { WorkerError, WorkerReply, WorkerRequest, WorkerStart } from './pglite-protocol.js'

/** A failed statement of the embedded database, with Postgres's SQLSTATE `code` like node-postgres gives. */
export class EmbeddedQueryError extends Error {
  readonly code: string | undefined
  readonly constraint: string | undefined
  readonly detail: string | undefined
  constructor(error: WorkerError) {
    super(error.message)
    this.name = 'EmbeddedQueryError'
    this.code = error.code
    this.constraint = error.constraint
    this.detail = error.detail
  }
}

/**
 * The worker's built file. Run from source (the tests, through vite), this
 * module is `.ts` but a worker thread needs JavaScript: it takes the build's.
 */
const WORKER_FILE = import.meta.url.endsWith('.ts') ? new URL('../../dist/db/pglite-worker.js', import.meta.url) : new URL('./pglite-worker.js', import.meta.url)

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never

type Pending = { resolve: (reply: WorkerReply & { error?: undefined }) => void; reject: (error: Error) => void }

/** The worker thread that owns the PGlite instance, and the requests waiting for it. */
class PGliteThread {
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #failure: Error | undefined
  readonly ready: Promise<void>

  constructor(start: WorkerStart) {
    this.#worker = new Worker(WORKER_FILE, { workerData: start })
    this.ready = new Promise((resolve, reject) => this.#pending.set(0, { resolve: () => resolve(), reject }))
    this.#worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id)
      if (!pending) return
      this.#pending.delete(reply.id)
      if (reply.error) pending.reject(reply.id === 0 ? new Error(reply.error.message) : new EmbeddedQueryError(reply.error))
      else pending.resolve(reply)
    })
    // SQLSTATE 08006 (connection failure), as node-postgres reports a server gone: queries answer DATABASE_UNAVAILABLE.
    const fail = (message: string) => {
      const error = new EmbeddedQueryError({ message, code: '08006' })
      this.#failure ??= error
      for (const pending of this.#pending.values()) pending.reject(error)
      this.#pending.clear()
    }
    this.#worker.on('error', (error) => fail(`the embedded database thread failed: ${error.message}`))
    this.#worker.on('exit', (code) => fail(`the embedded database thread exited (code ${code})`))
  }

  request(message: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerReply & { error?: undefined }> {
    if (this.#failure) return Promise.reject(this.#failure)
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker.postMessage({ ...message, id })
    })
  }

  async close(): Promise<void> {
    if (!this.#failure) await this.request({ kind: 'close' }).catch(() => undefined)
    await this.#worker.terminate()
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly thread: PGliteThread) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const reply = await this.thread.request({ kind: 'query', sql: query.sql, parameters: query.parameters })
    return {
      rows: reply.rows as R[],
      ...(reply.affectedRows !== undefined && { numAffectedRows: BigInt(reply.affectedRows) }),
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the embedded database does not stream query results')
  }
}

/** Waits its turn: PGlite is one connection, so a transaction holds it until it ends. */
class ConnectionMutex {
  #tail: Promise<void> = Promise.resolve()
  lock(): Promise<() => void> {
    let release!: () => void
    const previous = this.#tail
    this.#tail = new Promise((resolve) => (release = resolve))
    return previous.then(() => release)
  }
}

class PGliteWorkerDriver implements Driver {
  readonly #mutex = new ConnectionMutex()
  #release: (() => void) | undefined
  #connection!: PGliteConnection

  constructor(private readonly thread: PGliteThread) {}

  async init(): Promise<void> {
    await this.thread.ready
    this.#connection = new PGliteConnection(this.thread)
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    this.#release = await this.#mutex.lock()
    return this.#connection
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'))
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }
  async releaseConnection(): Promise<void> {
    const release = this.#release
    this.#release = undefined
    release?.()
  }
  async destroy(): Promise<void> {
    await this.thread.close()
  }
}

/**
 * Kysely over PGlite in a worker thread: the same Postgres dialect, adapter
 * and migrations as over node-postgres. Why a driver of our own: Kysely's
 * driver hands out a connection with an identity, so a transaction keeps the
 * single PGlite connection to itself and queries of other requests wait
 * rather than interleave into it (a proxy driver without that identity, like
 * Drizzle's, cannot promise that).
 */
export class PGliteWorkerDialect implements Dialect {
  readonly #thread: PGliteThread
  constructor(start: WorkerStart) {
    this.#thread = new PGliteThread(start)
  }
  /** A copy of the whole data directory (the first-start template). */
  async dump(): Promise<Uint8Array> {
    return (await this.#thread.request({ kind: 'dump' })).dump!
  }
  createAdapter() {
    return new PostgresAdapter()
  }
  createDriver(): Driver {
    return new PGliteWorkerDriver(this.#thread)
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db)
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
}
