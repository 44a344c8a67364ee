import type { Transaction } from 'kysely'
import type { StudioDb } from '../db/database.js'
import type { ActorType, StudioSchema } from '../db/schema.js'
import { StudioError, notFound } from '../errors.js'
import type { Change, ChangeFeed, ObjectType } from './changes.js'

/** Who made a write: a signed-in user, a personal API token, a plugin (next issue), or Studio itself (seeding, config apply). */
export interface Actor {
  type: ActorType
  id: string | null
  name: string
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'studio' }

export type Trx = Transaction<StudioSchema>

/** What a write reports for its audit entry: the object before and after, in its public (secret-free) shape. */
export interface WriteOutcome<T> {
  id: string | null
  before: unknown
  after: unknown
  result: T
}

export interface WriteRequest {
  actor: Actor
  /** `create`, `update`, `delete`, or a verb like `rotate_key`. */
  action: string
  type: ObjectType
  requestId?: string | undefined
}

/**
 * Every write through the admin API runs here: in one transaction with its
 * audit entry (so there is no write without its entry, and no half-written
 * object after a crash), then announced on the change feed once committed;
 * it resolves once the feed's listeners took it in (the gateway serves it).
 * Object hooks run around it, never inside the transaction (ResourceService).
 */
/** Tells other Studio processes of a change, inside its transaction (PostgresChangeRelay). */
export interface ChangeAnnouncer {
  notify(trx: Trx, change: Change): Promise<void>
}

export class Writes {
  constructor(
    private readonly db: StudioDb,
    private readonly changes: ChangeFeed,
    private readonly announcer?: ChangeAnnouncer,
  ) {}

  async run<T>(request: WriteRequest, body: (trx: Trx) => Promise<WriteOutcome<T>>): Promise<T> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      const outcome = await body(trx)
      await trx
        .insertInto('audit_log')
        .values({
          actor_type: request.actor.type,
          actor_id: request.actor.id,
          actor_name: request.actor.name,
          action: request.action,
          object_type: request.type,
          object_id: outcome.id,
          before: outcome.before === undefined ? null : JSON.stringify(outcome.before),
          after: outcome.after === undefined ? null : JSON.stringify(outcome.after),
          request_id: request.requestId ?? null,
        })
        .execute()
      await this.announcer?.notify(trx, { type: request.type, action: request.action, id: outcome.id })
      return outcome
    })
    await this.changes.publish({ type: request.type, action: request.action, id: outcome.id })
    return outcome.result
  }
}

/**
 * The version an `If-Match` header names (`"3"`, `W/"3"` or `3`), or
 * undefined without one: the write is then unconditional.
 */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? ''
  if (value === '*') return undefined
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value)
  if (!match) throw new StudioError('INVALID_IF_MATCH', `If-Match must name a version like "3", not ${JSON.stringify(value.slice(0, 40))}`)
  return Number(match[1])
}

/** Tables whose rows carry `id` and `version`. */
export type VersionedTable = 'llms' | 'apps' | 'users' | 'groups' | 'budgets' | 'tools' | 'datasources' | 'plugins'

/**
 * Locks the row for the rest of the transaction and checks the version:
 * NOT_FOUND when it does not exist, VERSION_MISMATCH when `expected` is
 * given and stale. Returns the current row.
 */
export async function lockVersioned<T extends VersionedTable>(trx: Trx, table: T, id: string, expected: number | undefined, label: string) {
  const row = await trx
    .selectFrom(table as VersionedTable)
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  if (!row) throw notFound(label, id)
  if (expected !== undefined && row.version !== expected) {
    throw new StudioError('VERSION_MISMATCH', `${label} "${id}" is at version ${row.version}, not ${expected}: read it again and retry`)
  }
  return row as unknown as import('kysely').Selectable<StudioSchema[T]>
}
