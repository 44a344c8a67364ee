import type { Logger } from './logger.js'
import type { Services } from './services.js'
import type { JsonValue, Runtime } from './types.js'

/** Handed to `initialize` and session hooks: who the plugin is running for. */
export interface PluginContext {
  runtime: Runtime
  /** The plugin's configuration, validated by the host against its schema. */
  config: JsonValue
  /** The name the host installed this plugin under. */
  pluginName: string
  services: Services
  log: Logger
}

/** Handed to every hook call. */
export interface HookContext extends PluginContext {
  /** The request's id, for logs and correlation; "" for calls not tied to a request. */
  requestId: string
  /** Aborts when the host cancels the call or its deadline passes: stop work and return. */
  signal: AbortSignal
}
