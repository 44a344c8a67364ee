import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import type { Migration, MigrationProvider } from 'kysely'
import { initial } from './0001-initial.js'
import { pluginPlatform } from './0002-plugin-platform.js'
import { llmNativeApis } from './0003-llm-native-apis.js'
import { chat } from './0004-chat.js'
import { chatReplyClaim } from './0005-chat-reply-claim.js'

/**
 * The one migration history of both databases, in order. Listed here rather
 * than read from a directory so the built package carries it. A migration
 * runs in its own transaction (Postgres has transactional DDL), so a crash
 * mid-migration leaves the schema as it was and the next start resumes.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-plugin-platform': pluginPlatform,
  '0003-llm-native-apis': llmNativeApis,
  '0004-chat': chat,
  '0005-chat-reply-claim': chatReplyClaim,
}

export const migrations: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) }

/**
 * What the migrations are: the built code of this directory. The first-start
 * template is named after it, so a new or edited migration makes a new
 * template rather than one with a stale schema being used. Read from the
 * build even when this module runs from source (the tests), so both agree.
 */
export const MIGRATIONS_FINGERPRINT = fingerprint(import.meta.url.endsWith('.ts') ? new URL('../../../dist/db/migrations/', import.meta.url) : new URL('./', import.meta.url))

function fingerprint(dir: URL): string {
  const hash = createHash('sha256')
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.js')).sort()) hash.update(file).update(readFileSync(new URL(file, dir)))
  return hash.digest('hex').slice(0, 12)
}
