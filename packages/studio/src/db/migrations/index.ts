import { createHash } from 'node:crypto'
import type { Migration, MigrationProvider } from 'kysely'
import { initial } from './0001-initial.js'

/**
 * The one migration history of both databases, in order. Listed here rather
 * than read from a directory so the built package carries it. A migration
 * runs in its own transaction (Postgres has transactional DDL), so a crash
 * mid-migration leaves the schema as it was and the next start resumes.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
}

export const migrations: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) }

/**
 * What the migrations are: their names and their code. The first-start
 * template is named after it, so an edited migration makes a new template
 * rather than one with a stale schema being used.
 */
export const MIGRATIONS_FINGERPRINT = createHash('sha256')
  .update(Object.entries(MIGRATIONS).map(([name, migration]) => `${name}\n${migration.up.toString()}\n${migration.down?.toString() ?? ''}`).join('\n'))
  .digest('hex')
  .slice(0, 12)
