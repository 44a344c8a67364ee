import { configFromDocument, type ConfigSource, type GatewayConfig } from '@plugboard/gateway'
import type { StudioContext } from './api/context.js'
import { readConfigDocument, type StudioConfigDocument } from './config/config-document.js'
import type { PluginManifest } from '@plugboard/host'
import { declarationsOf, runsIn } from './plugins/plugin-declarations.js'
import type { StudioPluginSpec } from './plugins/plugin-runtime.js'
import { hashSecret } from './accounts/secrets.js'
import { CHAT_APP } from './chat/chat-users.js'

/** After a rebuild failed (the database away), the next try comes this much later. */
const RETRY_MS = 1000

/**
 * The gateway's config, read live from Studio: `load` reads the database
 * once; then every committed write on the change feed rebuilds it, and the
 * gateway applies it incrementally, before the write is answered — the next
 * request sees the change, with no copy step and no restart. Rebuilds
 * coalesce (a burst of writes is one rebuild after the one running) and
 * retry while the database is away; the gateway keeps serving its last
 * config meanwhile.
 */
export class GatewayFeed implements ConfigSource {
  constructor(
    private readonly ctx: Pick<StudioContext, 'db' | 'changes' | 'masterKey'>,
    /** Applied over what Studio stores (the CLI's --host/--port, the server limits of `plugboard up`). */
    private readonly overrides: Pick<StudioConfigDocument, 'server'> = {},
    /** The key of each plugin granted `llms.proxy`: its completions go through the gateway as the app `plugin:<name>`. */
    private readonly proxyKey?: (plugin: string) => string,
    /** The key of Studio's chat: a conversation with an LLM goes through the gateway as the app `studio:chat`. */
    private readonly chatKey?: string,
  ) {}

  /** App (slug) → its owner's user id, as of the last load: the analytics' user of a request no auth plugin named one for. */
  #owners = new Map<string, string>()

  async load(): Promise<GatewayConfig> {
    const [document, owners, manifests] = await Promise.all([
      readConfigDocument(this.ctx.db, 'encrypted'),
      this.ctx.db.selectFrom('apps').select(['slug', 'owner_id']).where('owner_id', 'is not', null).execute(),
      this.ctx.db.selectFrom('plugins').select(['name', 'manifest', 'spec', 'enabled']).execute(),
    ])
    // A plugin with nothing to do in the gateway (object hooks, schedules only) runs its Studio half alone.
    const studioOnly = new Set(manifests.filter((row) => !runsIn(declarationsOf(row.manifest as PluginManifest | null), 'gateway')).map((row) => row.name))
    const plugins = document.plugins?.filter((plugin) => !studioOnly.has(plugin.name))
    const proxying = this.proxyKey ? manifests.filter((row) => row.enabled && ((row.spec as StudioPluginSpec).scopes ?? []).includes('llms.proxy')) : []
    const llms = (document.llms ?? []).map((llm) => llm.slug)
    const apps = [
      ...(document.apps ?? []),
      ...proxying.map((row) => ({ id: `plugin:${row.name}`, name: `Plugin ${row.name}`, keys: [{ hash: `sha256:${hashSecret(this.proxyKey!(row.name))}` }], allowedLlms: llms })),
      // Which LLMs a user may chat with is checked by the chat routes (their grants), before the request is sent.
      ...(this.chatKey ? [{ id: CHAT_APP, name: 'Studio chat', keys: [{ hash: `sha256:${hashSecret(this.chatKey)}` }], allowedLlms: llms }] : []),
    ]
    const config = configFromDocument({ ...document, apps, plugins, server: { ...document.server, ...this.overrides.server } }, { env: this.ctx.masterKey.env, baseDir: '/' })
    this.#owners = new Map(owners.map((app) => [app.slug, app.owner_id!]))
    return config
  }

  ownerOf(appId: string): string | undefined {
    return this.#owners.get(appId)
  }

  watch(onChange: (config: GatewayConfig) => void | Promise<void>, onError: (error: unknown) => void): () => void {
    let stopped = false
    let retry: NodeJS.Timeout | undefined
    let running: Promise<void> | undefined
    /** The rebuild that starts when the running one ends: every change published meanwhile joins it. */
    let queued: Promise<void> | undefined
    const run = (): Promise<void> => {
      clearTimeout(retry)
      running = (async () => {
        try {
          const config = await this.load()
          if (!stopped) await onChange(config)
        } catch (error) {
          if (stopped) return
          onError(error)
          retry = setTimeout(() => void rebuild(), RETRY_MS).unref()
        } finally {
          running = undefined
        }
      })()
      return running
    }
    const rebuild = (): Promise<void> => {
      if (queued) return queued
      if (!running) return run()
      queued = running.then(() => {
        queued = undefined
        return run()
      })
      return queued
    }
    const unsubscribe = this.ctx.changes.subscribe(rebuild)
    return () => {
      stopped = true
      clearTimeout(retry)
      unsubscribe()
    }
  }
}
