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

export const MIGRATION_NAMES = Object.keys(MIGRATIONS)
