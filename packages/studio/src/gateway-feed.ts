import { configFromDocument, type ConfigSource, type GatewayConfig } from '@plugboard/gateway'
import type { StudioContext } from './api/context.js'
import { readConfigDocument, type StudioConfigDocument } from './config/config-document.js'

/** After a rebuild failed (the database away), the next try comes this much later. */
const RETRY_MS = 1000

/**
 * The gateway's config, read live from Studio: `load` reads the database
 * once; then every committed write on the change feed rebuilds it, and the
 * gateway applies it incrementally — the next request sees the change, with
 * no copy step and no restart. Rebuilds coalesce (a burst of writes is one
 * rebuild after the one running) and retry while the database is away; the
 * gateway keeps serving its last config meanwhile.
 */
export class GatewayFeed implements ConfigSource {
  constructor(
    private readonly ctx: Pick<StudioContext, 'db' | 'changes' | 'masterKey'>,
    /** Applied over what Studio stores (the CLI's --host/--port, the server limits of `plugboard up`). */
    private readonly overrides: Pick<StudioConfigDocument, 'server'> = {},
  ) {}

  async load(): Promise<GatewayConfig> {
    const document = await readConfigDocument(this.ctx.db, 'encrypted')
    return configFromDocument({ ...document, server: { ...document.server, ...this.overrides.server } }, { env: this.ctx.masterKey.env, baseDir: '/' })
  }

  watch(onChange: (config: GatewayConfig) => void, onError: (error: unknown) => void): () => void {
    let running = false
    let dirty = false
    let stopped = false
    let retry: NodeJS.Timeout | undefined
    const rebuild = async (): Promise<void> => {
      if (running) {
        dirty = true
        return
      }
      running = true
      try {
        do {
          dirty = false
          try {
            const config = await this.load()
            if (!stopped && !dirty) onChange(config)
          } catch (error) {
            if (stopped) return
            onError(error)
            clearTimeout(retry)
            retry = setTimeout(() => void rebuild(), RETRY_MS).unref()
            return
          }
        } while (dirty && !stopped)
      } finally {
        running = false
      }
    }
    const unsubscribe = this.ctx.changes.subscribe(() => void rebuild())
    return () => {
      stopped = true
      clearTimeout(retry)
      unsubscribe()
    }
  }
}
