import { isDeepStrictEqual } from 'node:util'
import { CircuitBreaker, HookChain, PluginHost, type HookBinding, type ManagedPlugin, type PluginHostOptions, type PluginSpec } from '@plugboard/host'
import type { CapabilityName } from '@plugboard/proto'
import type { Logger } from 'pino'
import { GatewayError } from './errors.js'
import { HOOK_NAMES, type HookName, type PluginConfig } from './config.js'
import type { GatewayMetrics } from './metrics.js'
import { isUnderUiPath } from './plugin-endpoints.js'

/** What a gateway's plugin host is given beyond its runtime (see `PluginHostOptions`). */
export type GatewayPluginHostOptions = Partial<Omit<PluginHostOptions, 'runtime'>>

/** A data-collection plugin and what its binding lets it see. */
export interface DataCollectionTarget {
  plugin: ManagedPlugin
  /** Proxy-log bodies are sent only when the binding opts in. */
  includeBodies: boolean
  /** Bound to some apps or LLMs only: the records of other requests are not sent to it. */
  scope?: BindingScope
}

/** The apps and LLMs (slugs) a binding is limited to; an absent or empty list limits nothing. */
export interface BindingScope {
  apps?: readonly string[]
  llms?: readonly string[]
}

/** Whether a request of `app` to `llm` is within `scope`. */
export function inScope(scope: BindingScope | undefined, app: string, llm: string): boolean {
  if (!scope) return true
  return (!scope.apps?.length || scope.apps.includes(app)) && (!scope.llms?.length || scope.llms.includes(llm))
}

/** The chains a request runs through, built once per applied configuration. */
export interface GatewayChains {
  preAuth: HookChain
  auth: HookChain
  postAuth: HookChain
  responseHeaders: HookChain
  responseBody: HookChain
  responseChunks: HookChain
  streamComplete: ManagedPlugin[]
  dataCollection: DataCollectionTarget[]
  endpoints: Map<string, ManagedPlugin>
  /**
   * The chains of a request by `app` to `llm`: only the plugins bound
   * globally or to that app and LLM. The same object when no binding is scoped.
   */
  scoped(app: string, llm: string): GatewayChains
}

type ChainName = 'preAuth' | 'auth' | 'postAuth' | 'responseHeaders' | 'responseBody' | 'responseChunks'

/** The outcome of one apply. */
export interface AppliedPlugins {
  chains: GatewayChains
  /** Fail-closed plugins bound to at least one hook: while one is down, requests fail, so the gateway is not ready. */
  failClosed: ManagedPlugin[]
  changes: PluginChanges
}

/** What one apply did to the plugins, by plugin name; the `config applied` log line carries it. */
export interface PluginChanges {
  added: string[]
  removed: string[]
  /** New process (config, source, env or restart policy changed), the old one drained. */
  reloaded: string[]
  /** Only the granted scopes or topics changed: the running process got the new grant. */
  rescoped: string[]
  /** Only the binding changed (hooks, priority, failure policy, deadline, breaker, includeBodies): chains rebuilt. */
  rebound: string[]
  /** Had given up after crashing too often; started again. */
  restarted: string[]
}

interface Entry {
  config: PluginConfig
  plugin: ManagedPlugin
  /**
   * What the plugin declared when it last served. Kept, so chains built while
   * it restarts still hold it: a fail-closed plugin must keep failing
   * requests then, not drop out of the chain.
   */
  capabilities: readonly CapabilityName[]
  /** One breaker per chain the plugin is in; kept across applies so a failing plugin stays skipped. */
  breakers: Map<ChainName, CircuitBreaker>
  /** With isolated failures: the entry whose start failed last, not tried again until it changes. */
  failedConfig?: PluginConfig
}

/** How an apply treats a plugin that cannot be started. */
export interface PluginFailureHandling {
  /**
   * Each plugin on its own (Studio's feed): one whose start, reload or grant
   * fails keeps what ran before (a new one stays loaded, failed) and the rest
   * of the config applies; `onProblem` hears of it. Otherwise (a YAML file) an
   * apply is all or nothing.
   */
  isolate?: boolean
  onProblem?: (plugin: string, error: unknown) => void
}

/** How long the old process of a reloaded plugin may take to finish its in-flight calls. */
const DRAIN_TIMEOUT_MS = 30_000
const RESPONSE_PARTS = ['response_headers', 'response_body', 'response_chunks'] as const

/** Scoped chains kept per app and LLM pair, per applied config; past this many they are built per request. */
const MAX_SCOPED_CHAINS = 1024

const scopeOf = (config: PluginConfig): BindingScope | undefined => (config.apps?.length || config.llms?.length ? { apps: config.apps, llms: config.llms } : undefined)

/** Hooks that run before the app is known, so cannot be limited to apps or LLMs. */
const UNSCOPABLE_HOOKS: readonly HookName[] = ['pre_auth', 'auth', 'custom_endpoints']

/** Bound to `hook`: the plugin declares it, and the entry's `hooks` (default: all it declares) name it. */
const isBound = ({ config, capabilities, plugin }: Entry, hook: HookName) => {
  // Never started, so what it declares is unknown: fail-closed, it fails every request at post-auth, naming itself.
  if (capabilities.length === 0 && plugin.state === 'failed') return hook === 'post_auth' && config.failurePolicy === 'fail-closed'
  return capabilities.includes(hook) && (config.hooks ?? capabilities).includes(hook)
}

/** The fields of a plugin entry its process was started with; any change but to `scopes` and `topics` needs a new process. */
export function pluginSpecOf(config: PluginConfig): PluginSpec {
  const { name, source, scopes, topics, env, allowRead, allowWrite, isolation, restart, serviceApiRateLimit } = config
  return { name, source, config: config.config, scopes, topics, env, allowRead, allowWrite, isolation, restart, serviceApiRateLimit }
}

/** Whether two entries run the same process: false when a change needs a new one (a reload). */
export const samePluginProcess = (a: PluginConfig, b: PluginConfig) =>
  a.source === b.source &&
  (a.revision ?? 0) === (b.revision ?? 0) &&
  isDeepStrictEqual(a.config, b.config) &&
  isDeepStrictEqual(a.env, b.env) &&
  isDeepStrictEqual(a.allowRead, b.allowRead) &&
  isDeepStrictEqual(a.allowWrite, b.allowWrite) &&
  isDeepStrictEqual(a.isolation, b.isolation) &&
  isDeepStrictEqual(a.restart, b.restart) &&
  isDeepStrictEqual(a.serviceApiRateLimit, b.serviceApiRateLimit)

const sameBinding = (a: PluginConfig, b: PluginConfig) =>
  isDeepStrictEqual(a.hooks, b.hooks) &&
  a.priority === b.priority &&
  a.failurePolicy === b.failurePolicy &&
  a.deadlineMs === b.deadlineMs &&
  isDeepStrictEqual(a.breaker, b.breaker) &&
  (a.includeBodies ?? false) === (b.includeBodies ?? false) &&
  isDeepStrictEqual(scopeOf(a), scopeOf(b))

/**
 * The gateway's plugins, in ONE PluginHost for the gateway's lifetime, so
 * plugin KV data, events and breaker state survive config changes. `apply`
 * brings the loaded plugins to a new list incrementally: a plugin whose entry
 * did not change keeps its process; only what changed is loaded, reloaded
 * (side by side, the old process drained), re-scoped or re-bound.
 */
export class GatewayPlugins {
  readonly host: PluginHost
  readonly #entries = new Map<string, Entry>()
  /** Removed by an apply, still serving requests that started before it; `release` unloads them. */
  readonly #retiring = new Map<string, Entry>()

  constructor(private readonly options: { logger: Logger; metrics: GatewayMetrics; host?: GatewayPluginHostOptions; failures?: PluginFailureHandling }) {
    this.host = new PluginHost({ logger: options.logger, ...options.host, runtime: 'gateway' })
  }

  /**
   * Makes `configs` the loaded plugins and returns the chains to route new
   * requests through. All or nothing: when a plugin cannot be loaded or
   * reloaded, what this apply did is undone and it rejects with that error.
   * Removed plugins keep running until `release` is called with their names.
   * Not reentrant: the caller serializes applies.
   */
  async apply(configs: PluginConfig[]): Promise<AppliedPlugins> {
    const changes: PluginChanges = { added: [], removed: [], reloaded: [], rescoped: [], rebound: [], restarted: [] }
    const wanted = new Set(configs.map((config) => config.name))
    const undo: Array<() => Promise<void>> = []
    for (const config of configs) {
      const retired = this.#retiring.get(config.name)
      if (retired && !this.#entries.has(config.name)) {
        // Removed by an earlier apply but still running for its last requests: taken back, not loaded again.
        this.#retiring.delete(config.name)
        this.#entries.set(config.name, retired)
        changes.added.push(config.name)
        undo.push(async () => {
          this.#entries.delete(config.name)
          this.#retiring.set(config.name, retired)
        })
      }
    }
    const isolate = this.options.failures?.isolate === true
    const step = async (config: PluginConfig) => {
      const entry = this.#entries.get(config.name)
      if (!entry) {
        const plugin = await this.host.load(pluginSpecOf(config), { keepFailed: isolate }).catch((error: unknown) => {
          const failed = isolate ? this.host.get(config.name) : undefined
          if (!failed) throw error
          // Kept, failed: a fail-closed one then fails the requests it would have seen (see #build).
          this.#entries.set(config.name, { config, plugin: failed, capabilities: [], breakers: new Map(), failedConfig: config })
          throw error
        })
        this.#entries.set(config.name, { config, plugin, capabilities: [], breakers: new Map() })
        undo.push(() => this.#forget(config.name))
        changes.added.push(config.name)
        return
      }
      const previous = entry.config
      if (isolate && entry.failedConfig && isDeepStrictEqual(entry.failedConfig, config)) return
      entry.failedConfig = undefined
      if (!samePluginProcess(previous, config)) {
        await this.#relaunch(entry, pluginSpecOf(config))
        undo.push(() => this.#relaunch(entry, pluginSpecOf(previous)))
        changes.reloaded.push(config.name)
      } else if (entry.plugin.state === 'failed') {
        await entry.plugin.restart()
        changes.restarted.push(config.name)
      } else if (!isDeepStrictEqual(previous.scopes, config.scopes) || !isDeepStrictEqual(previous.topics, config.topics)) {
        entry.plugin.setScopes(config.scopes)
        entry.plugin.setTopics(config.topics ?? {})
        undo.push(async () => {
          entry.plugin.setScopes(previous.scopes)
          entry.plugin.setTopics(previous.topics ?? {})
        })
        changes.rescoped.push(config.name)
      } else if (!sameBinding(previous, config)) {
        changes.rebound.push(config.name)
      }
      if (!isDeepStrictEqual(previous.breaker, config.breaker)) entry.breakers.clear()
      entry.config = config
      undo.push(async () => void (entry.config = previous))
    }
    const steps = configs.map(async (config) => {
      try {
        await step(config)
      } catch (error) {
        if (!isolate) throw error
        const entry = this.#entries.get(config.name)
        if (entry) entry.failedConfig = config
        this.options.logger.warn({ plugin: config.name, err: String(error) }, 'plugin could not be started; the rest of the config applies')
        this.options.failures?.onProblem?.(config.name, error)
      }
    })
    const failure = (await Promise.allSettled(steps)).find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failure) {
      for (const step of undo.reverse()) await step().catch(() => undefined)
      throw failure.reason
    }
    for (const [name, entry] of this.#entries) {
      if (wanted.has(name)) continue
      this.#entries.delete(name)
      this.#retiring.set(name, entry)
      changes.removed.push(name)
    }
    const entries = configs.map((config) => this.#entries.get(config.name)!)
    for (const entry of entries) entry.capabilities = entry.plugin.description?.capabilities ?? entry.capabilities
    const unscopable = entries.find((entry) => scopeOf(entry.config) && UNSCOPABLE_HOOKS.some((hook) => isBound(entry, hook)))
    if (unscopable) {
      for (const step of undo.reverse()) await step().catch(() => undefined)
      const hooks = UNSCOPABLE_HOOKS.filter((hook) => isBound(unscopable, hook)).join(', ')
      throw new GatewayError(
        'CONFIG_INVALID',
        `plugin "${unscopable.config.name}" is bound to some apps or LLMs, but its ${hooks} hooks run before the app is known; bind it globally, or list its hooks without them`,
      )
    }
    const underUi = entries
      .map((entry) => ({ name: entry.config.name, paths: (entry.plugin.description?.endpoints ?? []).map((spec) => spec.path).filter(isUnderUiPath) }))
      .find((plugin) => plugin.paths.length > 0)
    if (underUi) {
      for (const step of undo.reverse()) await step().catch(() => undefined)
      const { name, paths } = underUi
      throw new GatewayError(
        'CONFIG_INVALID',
        `plugin "${name}" declares custom endpoints under /ui (${paths.join(', ')}), where Studio serves its UI assets (/plugins/NAME/ui/…); move them to another path`,
      )
    }
    const failClosed = entries.filter((entry) => entry.config.failurePolicy === 'fail-closed' && HOOK_NAMES.some((hook) => isBound(entry, hook)))
    return { chains: this.#chains(entries), failClosed: failClosed.map(({ plugin }) => plugin), changes }
  }

  /** Unloads plugins an apply removed (once no request uses the chains they were in), unless a later apply took them back. */
  async release(names: string[]): Promise<void> {
    await Promise.all(names.filter((name) => this.#retiring.has(name)).map((name) => this.#forget(name)))
  }

  /** Whether `name` was removed by an apply and not yet released (nor taken back). */
  retiring(name: string): boolean {
    return this.#retiring.has(name)
  }

  /** Stops every plugin; idempotent. */
  shutdown(): Promise<void> {
    return this.host.shutdown()
  }

  async #forget(name: string): Promise<void> {
    this.#entries.delete(name)
    this.#retiring.delete(name)
    await this.host.unload(name)
  }

  /**
   * A new process for a plugin with `spec`, side by side: resolves once the
   * new one serves (the same ManagedPlugin, so chains holding it switch
   * too); the old one finishes its in-flight calls in the background.
   */
  async #relaunch(entry: Entry, spec: PluginSpec): Promise<void> {
    const plugin = entry.plugin
    let switched!: () => void
    const serving = new Promise<void>((resolve) => plugin.once('reloaded', (switched = resolve)))
    const reload = plugin.reload(spec, { drainTimeoutMs: DRAIN_TIMEOUT_MS })
    try {
      await Promise.race([serving, reload])
    } finally {
      plugin.off('reloaded', switched)
    }
    reload.catch((error: unknown) => this.options.logger.warn({ plugin: plugin.name, err: String(error) }, 'old plugin process did not stop cleanly'))
  }

  #chains(entries: Entry[]): GatewayChains {
    const chains = this.#build(entries)
    if (!entries.some((entry) => scopeOf(entry.config))) {
      const all: GatewayChains = { ...chains, scoped: () => all }
      return all
    }
    const cache = new Map<string, GatewayChains>()
    const result: GatewayChains = {
      ...chains,
      scoped: (app, llm) => {
        const key = `${app}\n${llm}`
        let scoped = cache.get(key)
        if (!scoped) {
          const bound = entries.filter((entry) => inScope(scopeOf(entry.config), app, llm))
          scoped = { ...this.#build(bound), scoped: () => scoped! }
          if (cache.size < MAX_SCOPED_CHAINS) cache.set(key, scoped)
        }
        return scoped
      },
    }
    return result
  }

  #build(entries: Entry[]): Omit<GatewayChains, 'scoped'> {
    const boundTo = (hook: HookName) => entries.filter((entry) => isBound(entry, hook))
    /** Response plugins that implement `part`; one that declares no parts (an older or non-SDK plugin) gets all three. */
    const responseBoundTo = (part: (typeof RESPONSE_PARTS)[number]) =>
      boundTo('response').filter(({ capabilities }) => capabilities.includes(part) || !RESPONSE_PARTS.some((p) => capabilities.includes(p)))
    const chain = (name: ChainName, bound: Entry[]) =>
      new HookChain(
        bound.map(({ config, plugin, breakers }): HookBinding => {
          let breaker = breakers.get(name)
          if (!breaker) breakers.set(name, (breaker = new CircuitBreaker(config.breaker)))
          return { plugin, priority: config.priority, failurePolicy: config.failurePolicy, deadlineMs: config.deadlineMs, breaker }
        }),
        this.options.metrics.hookObserver,
      )
    const byPriority = (hook: HookName) => boundTo(hook).sort((a, b) => a.config.priority - b.config.priority)
    return {
      preAuth: chain('preAuth', boundTo('pre_auth')),
      auth: chain('auth', boundTo('auth')),
      postAuth: chain('postAuth', boundTo('post_auth')),
      responseHeaders: chain('responseHeaders', responseBoundTo('response_headers')),
      responseBody: chain('responseBody', responseBoundTo('response_body')),
      responseChunks: chain('responseChunks', responseBoundTo('response_chunks')),
      streamComplete: byPriority('stream_complete').map(({ plugin }) => plugin),
      dataCollection: byPriority('data_collection').map(({ config, plugin }) => ({
        plugin,
        includeBodies: config.includeBodies ?? false,
        ...(scopeOf(config) && { scope: scopeOf(config) }),
      })),
      endpoints: new Map(byPriority('custom_endpoints').map(({ plugin }) => [plugin.name, plugin])),
    }
  }
}
