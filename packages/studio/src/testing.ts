/**
 * @plugboard/studio/testing: what tests and benchmarks of Studio share.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server scratch databases are made on: PLUGBOARD_TEST_POSTGRES, or the local one. */
export const POSTGRES_ADMIN_URL = process.env.PLUGBOARD_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function onAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** A new, empty PostgreSQL database (`prefix_<random>`); `drop` removes it, closing its connections. */
export async function scratchPostgres(prefix = 'pb_test', adminUrl = POSTGRES_ADMIN_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await onAdmin(adminUrl, `create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => onAdmin(adminUrl, `drop database if exists ${name} with (force)`) }
}

export { readChatEvents, type StreamedChatEvent } from './chat-events-reader.js'
export { startTestPlatform, TEST_ADMIN, type TestPlatform, type PluginGrants, type ApiAnswer, type ScheduleRun } from './test-platform.js'
