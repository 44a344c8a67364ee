import { HookChain, PluginHost, type HookBinding, type ManagedPlugin } from '@plugboard/host'
import type { CapabilityName, KvStore } from '@plugboard/proto'
import type { Logger } from 'pino'
import type { HookName, PluginConfig } from './config.js'
import type { GatewayMetrics } from './metrics.js'

/** The chains a request runs through, built once per plugin configuration. */
export interface GatewayChains {
  preAuth: HookChain
  auth: HookChain
  postAuth: HookChain
  responseHeaders: HookChain
  responseBody: HookChain
  responseChunks: HookChain
  streamComplete: ManagedPlugin[]
  dataCollection: ManagedPlugin[]
  endpoints: Map<string, ManagedPlugin>
}

/**
 * Loads the configured plugins into a PluginHost and binds each to the hooks
 * it declares (or the subset its config names), in priority order.
 */
export async function loadGatewayPlugins(options: {
  plugins: PluginConfig[]
  logger: Logger
  metrics: GatewayMetrics
  kv?: KvStore
}): Promise<{ host: PluginHost; chains: GatewayChains }> {
  const host = new PluginHost({ runtime: 'gateway', logger: options.logger, kv: options.kv })
  try {
    const loaded = await Promise.all(
      options.plugins.map(async (config) => ({
        config,
        plugin: await host.load({
          name: config.name,
          source: config.source,
          config: config.config,
          scopes: config.scopes,
          env: config.env,
          allowRead: config.allowRead,
          allowWrite: config.allowWrite,
          restart: config.restart,
        }),
      })),
    )
    const declares = (plugin: ManagedPlugin, capability: CapabilityName) => plugin.description?.capabilities.includes(capability) ?? false
    const boundTo = (hook: HookName) =>
      loaded.filter(({ config, plugin }) => (config.hooks ?? plugin.description?.capabilities ?? []).includes(hook) && declares(plugin, hook))
    /** Response plugins that implement `part`; one that declares no parts (an older or non-SDK plugin) gets all three. */
    const responseBoundTo = (part: 'response_headers' | 'response_body' | 'response_chunks') =>
      boundTo('response').filter(
        ({ plugin }) => declares(plugin, part) || !(['response_headers', 'response_body', 'response_chunks'] as const).some((p) => declares(plugin, p)),
      )
    const chain = (bound: typeof loaded) =>
      new HookChain(
        bound.map(({ config, plugin }): HookBinding => ({
          plugin,
          priority: config.priority,
          failurePolicy: config.failurePolicy,
          deadlineMs: config.deadlineMs,
          breaker: config.breaker,
        })),
        options.metrics.hookObserver,
      )
    const byPriority = (hook: HookName) => boundTo(hook).sort((a, b) => a.config.priority - b.config.priority).map(({ plugin }) => plugin)
    return {
      host,
      chains: {
        preAuth: chain(boundTo('pre_auth')),
        auth: chain(boundTo('auth')),
        postAuth: chain(boundTo('post_auth')),
        responseHeaders: chain(responseBoundTo('response_headers')),
        responseBody: chain(responseBoundTo('response_body')),
        responseChunks: chain(responseBoundTo('response_chunks')),
        streamComplete: byPriority('stream_complete'),
        dataCollection: byPriority('data_collection'),
        endpoints: new Map(byPriority('custom_endpoints').map((plugin) => [plugin.name, plugin])),
      },
    }
  } catch (error) {
    await host.shutdown()
    throw error
  }
}
