import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Change, ChangeFeed } from '../api/changes.js'
import type { Trx } from '../api/writes.js'

/** The PostgreSQL channel committed changes are announced on. */
export const CHANGES_CHANNEL = 'plugboard_changes'
const RECONNECT_MIN_MS = 250
const RECONNECT_MAX_MS = 5_000

/**
 * Committed writes, told to every Studio process sharing one PostgreSQL:
 * each write NOTIFYs inside its transaction (so the notice leaves only if it
 * commits), and each process LISTENs on a connection of its own and
 * publishes the changes of the others on its change feed — their gateways
 * then rebuild as for a local write. After the listening connection was
 * lost, a `resync` change makes every feed rebuild, for what it missed. The
 * embedded database is one process: it needs none.
 */
export class PostgresChangeRelay {
  /** This process, so it does not publish its own changes twice. */
  readonly node = randomUUID()
  #client: pg.Client | undefined
  #stopped = false
  #retry: NodeJS.Timeout | undefined
  #delay = RECONNECT_MIN_MS

  constructor(
    private readonly url: string,
    private readonly changes: ChangeFeed,
    private readonly logger: Logger,
  ) {}

  /** Listens; resolves once the first connection listens (rejects when it cannot). */
  async start(): Promise<void> {
    await this.#listen(false)
  }

  /** Announces a change as part of the transaction that makes it. */
  async notify(trx: Trx, change: Change): Promise<void> {
    await sql`select pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify({ node: this.node, ...change })})`.execute(trx)
  }

  async close(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#retry)
    await this.#client?.end().catch(() => undefined)
  }

  async #listen(resync: boolean): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 })
    client.on('error', () => undefined)
    client.on('notification', (message) => this.#received(message.payload))
    client.on('end', () => {
      if (this.#client === client) this.#reconnect()
    })
    await client.connect()
    await client.query(`listen ${CHANGES_CHANNEL}`)
    this.#client = client
    this.#delay = RECONNECT_MIN_MS
    if (resync) void this.changes.publish({ type: 'setting', action: 'resync', id: null })
  }

  #reconnect(): void {
    this.#client = undefined
    if (this.#stopped) return
    this.logger.warn({ retryInMs: this.#delay }, 'lost the PostgreSQL connection that hears other Studio processes; reconnecting')
    this.#retry = setTimeout(() => {
      this.#listen(true).catch(() => {
        this.#delay = Math.min(this.#delay * 2, RECONNECT_MAX_MS)
        this.#reconnect()
      })
    }, this.#delay).unref()
  }

  #received(payload: string | undefined): void {
    let message: Change & { node?: string }
    try {
      message = JSON.parse(payload ?? '') as Change & { node?: string }
    } catch {
      return
    }
    if (message.node === this.node || typeof message.type !== 'string') return
    void this.changes.publish({ type: message.type, action: String(message.action), id: typeof message.id === 'string' ? message.id : null })
  }
}
