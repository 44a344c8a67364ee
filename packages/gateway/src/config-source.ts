import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { loadConfig, type GatewayConfig } from './config.js'

/**
 * Where the gateway's configuration comes from: a YAML file today
 * ({@link yamlFileSource}), Studio's config stream next. The gateway loads
 * it once at start and then applies every config `watch` delivers, in order.
 *
 * Contract: `load` resolves with a validated config or rejects with
 * CONFIG_INVALID. `watch` calls `onChange` with each new valid config in the
 * order the source saw them (the gateway applies the last one it received;
 * the promise `onChange` returns resolves once it is applied, for a source
 * that answers its writer only then)
 * and `onError` with each change that could not be read or validated (the
 * gateway logs it and keeps running the config it has). Neither callback
 * throws. The function `watch` returns stops watching; safe to call more
 * than once.
 */
export interface ConfigSource {
  /** Reads the current config. */
  load(signal?: AbortSignal): Promise<GatewayConfig>
  /** Reports later changes until the returned function is called. */
  watch(onChange: (config: GatewayConfig) => void | Promise<void>, onError: (error: unknown) => void): () => void
}

/** A config that never changes: what `Gateway.start({ config })` runs. */
export function staticConfigSource(config: GatewayConfig): ConfigSource {
  return { load: () => Promise.resolve(config), watch: () => () => {} }
}

/** How long a file has to be quiet before it is read: an editor's save is several events. */
const SETTLE_MS = 100
/** Retry interval while the config's directory cannot be watched (it was removed or renamed). */
const REARM_MS = 1000

/**
 * A YAML config file (format: the package README), watched for changes.
 * Watches the file's directory and filters by name, so every way editors save
 * is seen: rename-replace (vim, `mv tmp gateway.yaml`), in-place write, touch,
 * delete then create. A watched file name keeps meaning the file, whatever
 * inode it has now. Reads are serialized, so configs are reported in the
 * order the file had them.
 *
 * @example
 * const gateway = await Gateway.start({ source: yamlFileSource('gateway.yaml'), logger: pino() })
 */
export function yamlFileSource(path: string, options: { env?: NodeJS.ProcessEnv } = {}): ConfigSource {
  const file = resolve(path)
  const load = () => loadConfig(file, options.env)
  return {
    load,
    watch(onChange, onError) {
      let watcher: FSWatcher | undefined
      let settle: NodeJS.Timeout | undefined
      let rearm: NodeJS.Timeout | undefined
      let reading = false
      let dirty = false
      let stopped = false

      const read = async (): Promise<void> => {
        if (reading) {
          dirty = true
          return
        }
        reading = true
        try {
          do {
            dirty = false
            try {
              const config = await load()
              if (!stopped && !dirty) void onChange(config)
            } catch (error) {
              if (!stopped && !dirty) onError(error)
            }
          } while (dirty && !stopped)
        } finally {
          reading = false
        }
      }
      const changed = () => {
        clearTimeout(settle)
        settle = setTimeout(() => void read(), SETTLE_MS)
        settle.unref()
      }
      /** Watches the directory; while it cannot (it is gone), retries, and reads the file once it can again. */
      const arm = (): boolean => {
        if (stopped) return false
        try {
          watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
            // Some platforms do not name the file; then any event in the directory may be ours.
            if (name === null || name === basename(file)) changed()
          })
        } catch {
          retry()
          return false
        }
        watcher.on('error', () => {
          watcher?.close()
          retry()
        })
        return true
      }
      const retry = () => {
        rearm ??= setTimeout(() => {
          rearm = undefined
          if (arm()) changed()
        }, REARM_MS).unref()
      }
      arm()
      return () => {
        stopped = true
        clearTimeout(settle)
        clearTimeout(rearm)
        watcher?.close()
      }
    },
  }
}
