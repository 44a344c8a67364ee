import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { bootstrapAdmin, type FirstAdmin } from './accounts/bootstrap.js'
import { checkMasterKey, loadMasterKey, type MasterKey } from './accounts/master-key.js'
import { Authenticator } from './api/auth.js'
import { ChangeFeed } from './api/changes.js'
import type { StudioContext } from './api/context.js'
import { createApi, type Api } from './api/server.js'
import { ResourceRegistry } from './api/resource-registry.js'
import { Writes } from './api/writes.js'
import { StudioBudgetStore } from './budgets/budget-store.js'
import { PostgresChangeRelay } from './db/change-relay.js'
import { openDatabase, type StudioDatabase } from './db/database.js'
import { ObjectHookRunner } from './plugins/object-hooks.js'
import { PluginLogTail } from './plugins/plugin-log-tail.js'
import { StudioPlugins } from './plugins/studio-plugins.js'
import { registerRoutes } from './resources/index.js'
import { Scheduler } from './scheduler/scheduler.js'
import { PostgresKvStore } from './plugins/kv-store.js'
import { createStudioServiceApi, type CompletionProxy } from './plugins/service-api.js'
import type { ScheduleOperations } from './plugins/plugin-runtime.js'
import { PlugboardError, type ServiceApiErrorCode } from '@plugboard/proto'
import { registerChatRoutes } from './chat/chat-routes.js'
import type { ChatCompletion } from './chat/llm-reply.js'

/** Studio's version, as the OpenAPI document and the Service API's system info give it. */
export const STUDIO_VERSION = '0.1.0'
import { registerScheduleRoutes } from './scheduler/schedule-routes.js'
import { defaultUiDir, loadUiBundle } from './ui/ui-bundle.js'
import { registerPluginAssetRoutes } from './ui/plugin-assets.js'
import { registerUiRoutes } from './ui/ui-routes.js'

export interface StudioOptions {
  /** Data directory: the embedded database (unless `databaseUrl`) and the master key file. */
  dataDir: string
  /** PostgreSQL instead of the embedded database. */
  databaseUrl?: string | undefined
  env?: NodeJS.ProcessEnv
  logger: Logger
  /**
   * The database, already being opened by the caller (`openDatabase` of the
   * same location): the CLI starts it before it loads the rest of the
   * platform, so the embedded database's WASM compiles meanwhile.
   */
  database?: Promise<StudioDatabase>
  /** The built browser UI to serve (default: `@plugboard/ui`'s `dist/`). */
  uiDir?: string | undefined
}

/**
 * Studio, the control plane: opens (and migrates) the database, creates the
 * first admin on first start, and serves the admin API and the browser UI through `handle`
 * (mounted on the gateway's server by `plugboard up`, or on its own by
 * `plugboard studio`).
 */
export class Studio {
  private constructor(
    readonly database: StudioDatabase,
    readonly context: StudioContext,
    readonly api: Api,
    readonly handle: (req: IncomingMessage, res: ServerResponse) => void,
    /** Set on the start that created the first admin. */
    readonly firstAdmin: FirstAdmin | undefined,
    /** With PostgreSQL: the changes of the other Studio processes on it. */
    readonly relay: PostgresChangeRelay | undefined,
    /** The plugin platform: installed plugins and their Studio halves. */
    readonly plugins: StudioPlugins,
    /** Plugins' scheduled tasks: each tick runs once across the Studio processes sharing the database. */
    readonly scheduler: Scheduler,
    /** Plugins' KV store, in the database: shared by both runtimes and by every node. */
    readonly kv: PostgresKvStore,
  ) {}

  /**
   * How a plugin's completion goes through a gateway (`llms.proxy`); set by
   * the platform that runs one beside Studio. Without one the Service API
   * answers SERVICE_UNAVAILABLE.
   */
  completionProxy: CompletionProxy | undefined

  /** How a chat with an LLM goes through a gateway (the app `studio:chat`); set by the platform that runs one beside Studio. */
  chatCompletion: ChatCompletion | undefined

  static async start(options: StudioOptions): Promise<Studio> {
    const env = options.env ?? process.env
    const dataDir = resolve(options.dataDir)
    const opening = options.database ?? openDatabase(options.databaseUrl ? { url: options.databaseUrl } : { dataDir })
    let masterKey: MasterKey
    try {
      masterKey = await loadMasterKey(env, join(dataDir, 'master.key'))
    } catch (error) {
      await opening.then((database) => database.close(), () => undefined)
      throw error
    }
    const database = await opening
    let budgets: StudioBudgetStore | undefined
    let relay: PostgresChangeRelay | undefined
    let plugins: StudioPlugins | undefined
    let scheduler: Scheduler | undefined
    let kv: PostgresKvStore | undefined
    try {
      const changes = new ChangeFeed()
      if (options.databaseUrl) {
        relay = new PostgresChangeRelay(options.databaseUrl, changes, options.logger)
        await relay.start()
      }
      const auth = new Authenticator(database.db)
      await checkMasterKey(database.db, masterKey)
      const firstAdmin = await bootstrapAdmin(database.db, env)
      budgets = await StudioBudgetStore.open({ db: database.db, logger: options.logger })
      const context: StudioContext = {
        db: database.db,
        writes: new Writes(database.db, changes, relay),
        changes,
        masterKey,
        auth,
        logger: options.logger,
        budgets,
        resources: new ResourceRegistry(),
        objectHooks: new ObjectHookRunner({ directory: () => context.plugins, logger: options.logger.child({ source: 'object-hooks' }) }),
      }
      // The embedded database has one writer, this process (the data directory's lock): its reads may be cached exactly.
      const store = new PostgresKvStore({ db: database.db, logger: options.logger.child({ source: 'plugin-kv' }), exactReadCache: database.kind === 'embedded' })
      kv = store
      const node = randomUUID()
      // Made before the scheduler they call (which needs the plugins); both are in place before any plugin calls.
      let tasks: Scheduler | undefined
      const schedules: ScheduleOperations = {
        list: (plugin) => tasks!.list(plugin),
        setEnabled: (plugin, id, enabled) => tasks!.setEnabled(plugin, id, enabled),
        runNow: (plugin, id) => tasks!.runNow(plugin, id),
        runs: (plugin, id, page) => tasks!.runs(plugin, id, page),
      }
      let studio: Studio | undefined
      const services = createStudioServiceApi({
        db: database.db,
        masterKey,
        writer: context.resources,
        schedules,
        plugins: { manifestOf: (name) => plugins?.manifestOf(name) },
        proxy: (plugin, llm, body, signal) => {
          if (!studio?.completionProxy) throw new PlugboardError<ServiceApiErrorCode>('SERVICE_UNAVAILABLE', 'this Studio runs no gateway to send completions through')
          return studio.completionProxy(plugin, llm, body, signal)
        },
        system: { version: STUDIO_VERSION, nodeId: node, database: database.kind },
      })
      plugins = await StudioPlugins.start(context, { logTail: new PluginLogTail(), present: (type, id) => context.resources.present(type, id), kv: store, services })
      context.plugins = plugins
      tasks = new Scheduler({ db: database.db, logger: options.logger.child({ source: 'scheduler' }), node, plugins, writes: context.writes, changes })
      scheduler = tasks
      await plugins.onSchedules((plugin, schedules) => tasks.sync(plugin.id, plugin.name, schedules))
      await tasks.start()
      const { app, handle } = await createApi({ logger: options.logger, auth, info: { title: 'Plugboard Studio', version: STUDIO_VERSION } })
      registerRoutes(app, context, plugins)
      registerScheduleRoutes(app, tasks)
      registerChatRoutes(app, { db: database.db, plugins, completion: () => studio?.chatCompletion })
      registerPluginAssetRoutes(app, context, plugins)
      registerUiRoutes(app, loadUiBundle(options.uiDir ?? defaultUiDir()))
      await app.ready()
      studio = new Studio(database, context, app, handle, firstAdmin, relay, plugins, tasks, store)
      return studio
    } catch (error) {
      await scheduler?.stop()
      await plugins?.close()
      await kv?.stop()
      await relay?.close()
      await budgets?.close()
      await database.close()
      throw error
    }
  }

  async close(): Promise<void> {
    await this.api.close()
    await this.scheduler.stop()
    await this.plugins.close()
    await this.kv.stop()
    await this.relay?.close()
    // Its last spending is written before the database closes.
    await this.context.budgets.close()
    await this.database.close()
  }
}
