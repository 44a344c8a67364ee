import { randomBytes } from 'node:crypto'
import { Gateway, isGatewayPath, type GatewayConfig } from '@plugboard/gateway'
import type { Logger } from 'pino'
import { newSecret } from './accounts/secrets.js'
import { SYSTEM_ACTOR } from './api/writes.js'
import { applyConfigDocument } from './config/apply-config.js'
import { readConfigFile } from './config/config-file.js'
import { AnalyticsWriter } from './analytics/analytics-writer.js'
import { CHAT_APP, ChatUsers } from './chat/chat-users.js'
import { GatewayFeed } from './gateway-feed.js'
import { Studio, type StudioOptions } from './studio.js'

export interface PlatformOptions {
  dataDir: string
  databaseUrl?: string | undefined
  host: string
  port: number
  env?: NodeJS.ProcessEnv
  logger: Logger
  /** A gateway YAML applied on first start (the demo: mock LLM, demo app, example plugins). */
  seedFile?: string | undefined
  /** As `StudioOptions.database`. */
  database?: StudioOptions['database']
  /** Write every proxied request to the analytics (default true; off when a data-collection plugin ships them elsewhere). */
  analytics?: boolean
  /** As `StudioOptions.uiDir`. */
  uiDir?: string | undefined
}

/** What a first start seeded, to be printed once. */
export interface Seeded {
  file: string
  /** The demo app's key: PLUGBOARD_DEMO_KEY, or the one generated now (shown only this once). */
  demoKey: string
  generated: boolean
}

/**
 * `plugboard up`: Studio and the gateway in one process on one port. The
 * gateway serves the LLM API and hands every other path (`/api/…`, the
 * browser UI) to Studio; its config is
 * Studio's state, read live through {@link GatewayFeed}.
 */
export class Platform {
  private constructor(
    readonly studio: Studio,
    readonly gateway: Gateway,
    /** The built-in analytics sink: every proxied request, written to `requests` off the request path (unless turned off). */
    readonly analytics: AnalyticsWriter | undefined,
    readonly seeded: Seeded | undefined,
  ) {}

  static async start(options: PlatformOptions): Promise<Platform> {
    const env = options.env ?? process.env
    const studio = await Studio.start({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, env, logger: options.logger, uiDir: options.uiDir, ...(options.database && { database: options.database }) })
    // Closed if the start fails: its maintenance timer would go on against the closed database.
    let analytics: AnalyticsWriter | undefined
    try {
      const seeded = studio.database.created && options.seedFile ? await seed(studio, options.seedFile, env) : undefined
      // Made for this process, never stored: the credential of Studio's chat with LLMs.
      const chatKey = newSecret('pb-chat-')
      const chatUsers = new ChatUsers()
      const feed = new GatewayFeed(studio.context, { server: { host: options.host, port: options.port } }, (plugin) => studio.plugins.proxyKey(plugin), chatKey)
      const writer = options.analytics === false ? undefined : new AnalyticsWriter({ db: studio.context.db, ownerOf: (appId, requestId) => (appId === CHAT_APP ? chatUsers.take(requestId) : feed.ownerOf(appId)), logger: options.logger })
      analytics = writer
      const gateway = await Gateway.start({
        source: feed,
        logger: options.logger,
        ...(writer && { requestLog: (record) => writer.write(record) }),
        // Spending and reservations live in Studio: persisted, reported by the budgets API, alerting.
        budgets: studio.context.budgets,
        // The rest of the port is Studio's: the admin API and the browser UI (at `/` too, over the gateway's service index).
        delegate: { owns: (path) => !isGatewayPath(path), handle: studio.handle },
        pluginHost: { ...studio.plugins.gatewayHostOptions(), logger: studio.plugins.logTail.wrap(options.logger, 'gateway') },
        // One plugin that cannot start must not hold back every other change (a revoked key, a disabled LLM).
        pluginFailures: {
          isolate: true,
          onProblem: (name, error) => studio.plugins.recordProblem(name, { runtime: 'gateway', code: (error as { code?: string }).code ?? 'PLUGIN_LAUNCH_FAILED', message: (error as Error).message ?? String(error) }),
        },
      })
      studio.plugins.gatewayHalf = (name) => gateway.plugins().find((plugin) => plugin.name === name)
      const complete = async (key: string, llm: string, body: Record<string, unknown>, signal: AbortSignal, requestId?: string) => {
        // A caller may leave the model to the LLM: its first.
        const target = gateway.config.llms.find((candidate) => candidate.slug === llm)
        if (body.model === undefined && target) body = { ...body, model: target.models[0] }
        const response = await fetch(`${gateway.url}/llm/${encodeURIComponent(llm)}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(requestId && { 'x-request-id': requestId }) },
          body: JSON.stringify(body),
          signal,
        })
        return { status: response.status, headers: Object.fromEntries(response.headers), body: streamOf(response.body) }
      }
      studio.completionProxy = (plugin, llm, body, signal) => complete(studio.plugins.proxyKey(plugin), llm, body, signal)
      studio.chatCompletion = (llm, body, signal, userId) => complete(chatKey, llm, body, signal, chatUsers.requestFor(userId))
      return new Platform(studio, gateway, writer, seeded)
    } catch (error) {
      await analytics?.close()
      await studio.close()
      throw error
    }
  }

  get url(): string {
    return this.gateway.url
  }

  get config(): GatewayConfig {
    return this.gateway.config
  }

  /** The gateway first (its last requests still reach the analytics), then the analytics' last records, then Studio. */
  async close(): Promise<void> {
    await this.gateway.close()
    await this.analytics?.close()
    await this.studio.close()
  }
}

/** Applies the seed file; its `${PLUGBOARD_DEMO_KEY}` is the env's, or a key generated for this install. */
async function seed(studio: Studio, file: string, env: NodeJS.ProcessEnv): Promise<Seeded> {
  const generated = !env.PLUGBOARD_DEMO_KEY
  const demoKey = env.PLUGBOARD_DEMO_KEY || `pb-demo-${randomBytes(18).toString('base64url')}`
  const document = await readConfigFile(file, { ...env, PLUGBOARD_DEMO_KEY: demoKey })
  await applyConfigDocument(studio.context.writes, studio.context.masterKey, document, { actor: SYSTEM_ACTOR, dryRun: false })
  return { file, demoKey, generated }
}

/** A fetch body as the Buffers the Service API streams. */
async function* streamOf(body: ReadableStream<Uint8Array> | null): AsyncIterable<Buffer> {
  if (!body) return
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield Buffer.from(chunk)
}
