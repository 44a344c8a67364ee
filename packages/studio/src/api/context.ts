import type { Logger } from 'pino'
import type { MasterKey } from '../accounts/master-key.js'
import type { StudioDb } from '../db/database.js'
import type { Authenticator } from './auth.js'
import type { ChangeFeed } from './changes.js'
import type { Writes } from './writes.js'

/** What every resource module gets: the database, the write path, the feed of committed changes, the master key. */
export interface StudioContext {
  db: StudioDb
  writes: Writes
  changes: ChangeFeed
  masterKey: MasterKey
  auth: Authenticator
  logger: Logger
}
