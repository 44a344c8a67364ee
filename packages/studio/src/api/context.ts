import type { Logger } from 'pino'
import type { MasterKey } from '../accounts/master-key.js'
import type { StudioBudgetStore } from '../budgets/budget-store.js'
import type { StudioDb } from '../db/database.js'
import type { Authenticator } from './auth.js'
import type { ChangeFeed } from './changes.js'
import type { ObjectHookRunner } from '../plugins/object-hooks.js'
import type { PluginDirectory } from '../plugins/plugin-runtime.js'
import type { ResourceRegistry } from './resource-registry.js'
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
  /** Each resource's write path, filled by `registerResource`; also the ObjectWriter of the Service API. */
  resources: ResourceRegistry
  /** Runs the object hooks of the plugins in `plugins` around each resource write; its counters feed plugin status. */
  objectHooks: ObjectHookRunner
  /**
   * The installed plugins, once the plugin platform runs: set it after start
   * (object hooks read it at each write). Absent: no object hooks run.
   */
  plugins?: PluginDirectory
}
