import type { Logger } from 'pino'
import type { MasterKey } from '../accounts/master-key.js'
import type { StudioBudgetStore } from '../budgets/budget-store.js'
import type { StudioDb } from '../db/database.js'
import type { Authenticator } from './auth.js'
import type { ChangeFeed } from './changes.js'
import type { Writes } from './writes.js'

/** What every resource module gets: the database, the write path, the feed of committed changes, the master key, the budgets' live spending. */
export interface StudioContext {
  db: StudioDb
  writes: Writes
  changes: ChangeFeed
  masterKey: MasterKey
  auth: Authenticator
  logger: Logger
  /** The gateway's BudgetStore in Studio: live spending and reservations, and the budget alerts (`budgets.alerts`). */
  budgets: StudioBudgetStore
}
