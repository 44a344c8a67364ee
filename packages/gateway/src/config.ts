import { hash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'
import { parse as parseYaml } from 'yaml'
import type { PluginIsolation } from '@plugboard/host'
import type { Scope } from '@plugboard/proto'
import { GatewayError } from './errors.js'
import { decryptSecret } from './secrets.js'

export type VendorName = 'mock' | 'openai' | 'anthropic'

/** The client APIs besides chat completions that an LLM's upstream may speak natively (`llms[].nativeApis`). */
export const NATIVE_APIS = ['anthropic.messages', 'responses'] as const

export type NativeApi = (typeof NATIVE_APIS)[number]

/** The one vendor whose upstream can speak each native API. */
const NATIVE_API_VENDOR: Record<NativeApi, VendorName> = { 'anthropic.messages': 'anthropic', responses: 'openai' }

/**
 * Why an LLM of `vendor` cannot speak `apis` natively (each native API is one
 * vendor's), e.g. `responses is only for openai LLMs; remove it from nativeApis`;
 * undefined when it can. The gateway's CONFIG_INVALID and Studio's VALIDATION_FAILED say the same.
 */
export function nativeApisProblem(vendor: VendorName, apis: readonly NativeApi[]): string | undefined {
  const foreign = apis.filter((api) => NATIVE_API_VENDOR[api] !== vendor)
  if (!foreign.length) return undefined
  return `${foreign.map((api) => `${api} is only for ${NATIVE_API_VENDOR[api]} LLMs`).join(', ')}; remove ${foreign.length > 1 ? 'them' : 'it'} from nativeApis`
}

export interface MockOptions {
  /** Delay before the first byte, in ms. */
  latencyMs: number
  /** Delay between streamed chunks, in ms. */
  chunkDelayMs: number
  completionTokens: number
  /** Chunks a streamed reply is split into. */
  chunks: number
}

export interface LlmConfig {
  slug: string
  vendor: VendorName
  baseUrl: string
  /** Decrypted vendor key; never logged. */
  apiKey: string
  /** Models this LLM serves; requests name one of them. */
  models: string[]
  /**
   * The client APIs whose requests go upstream in their own API rather than
   * translated to chat completions; the vendor's default when the config names none.
   */
  nativeApis: ReadonlyArray<NativeApi>
  mock: MockOptions
}

export interface AppKey {
  /** sha256 hex of the key; keys are never kept in clear. */
  hash: string
  revoked: boolean
  /** epoch ms; a key past it answers API_KEY_EXPIRED (401, authentication_error) */
  expiresAt?: number
}

export interface AppConfig {
  id: string
  name: string
  /** Free-form, handed to plugins (values other than strings as JSON). */
  metadata: Record<string, unknown>
  /** The owning user (Studio: their email); analytics count the app's requests as theirs. */
  owner?: string
  keys: AppKey[]
  allowedLlms: string[]
}

/** How a budget's spending is counted: per UTC calendar month, or in periods of `days` from `anchor`. */
export type BudgetPeriodRule = { kind: 'monthly' } | { kind: 'days'; days: number; /** epoch ms the first period starts */ anchor: number }

/** A hard limit on what one app, or all apps together on one LLM, may spend per period. */
export interface BudgetLimit {
  /** Names the limit in refusals (`x-plugboard-budget`) and keys its spending in the BudgetStore. */
  id: string
  scope: 'app' | 'llm'
  /** app id, or LLM slug */
  target: string
  limitUsd: number
  period: BudgetPeriodRule
  /** percents, e.g. [50, 80, 100] */
  thresholds: number[]
}

/** The longest custom budget period (about ten years): longer ones would reset past the dates JavaScript can write. */
export const MAX_PERIOD_DAYS = 3660

/** The thresholds a limit alerts at when it names none. */
export const DEFAULT_BUDGET_THRESHOLDS: readonly number[] = [50, 80, 100]

/** The hooks a plugin entry can bind (its `hooks` list). */
export const HOOK_NAMES = ['pre_auth', 'auth', 'post_auth', 'response', 'stream_complete', 'data_collection', 'custom_endpoints'] as const

export type HookName = (typeof HOOK_NAMES)[number]

export interface PluginConfig {
  name: string
  source: string
  /** Hooks to bind; default: every hook the plugin declares. */
  hooks?: HookName[]
  priority: number
  failurePolicy: 'fail-open' | 'fail-closed'
  deadlineMs?: number
  config: unknown
  scopes: Scope[]
  env?: Record<string, string>
  /** Paths the plugin may read / write beyond its own directory / its socket directory (the host's isolation). */
  allowRead?: string[]
  allowWrite?: string[]
  /** As root: the plugin's own uid/gid (default: one derived from its name), or `false` to run it as the host's user. */
  isolation?: PluginIsolation | false
  restart?: { initialDelayMs?: number; maxDelayMs?: number; maxCrashes?: number; windowMs?: number }
  breaker?: { failureThreshold?: number; cooldownMs?: number }
  /** Data collection: send this plugin proxy-log request and response bodies; default metadata only. */
  includeBodies?: boolean
  /** Runs only for requests of these apps / to these LLMs (slugs); absent or empty: every request. */
  apps?: string[]
  llms?: string[]
  /** Event topic patterns granted (a subset of the manifest's `permissions.events`). */
  topics?: { publish?: string[]; subscribe?: string[] }
  /** A change starts a new process even when nothing else changed (Studio's reload). */
  revision?: number
  /** Studio only: object types whose object hooks may run; a gateway ignores it. */
  objectHooks?: string[]
  /** Studio only: the tools and datasources (slugs) an agent plugin is given with each message; a gateway ignores them. */
  tools?: string[]
  datasources?: string[]
  /** Studio only: the groups (names) whose members may chat with an agent plugin; a gateway ignores it. */
  chatGroups?: string[]
  /** Service API calls the plugin may make per second (a token bucket per connection); more fail with SERVICE_RATE_LIMITED. */
  serviceApiRateLimit?: { callsPerSecond: number; burst?: number }
}

export interface Pricing {
  /** USD per million prompt tokens. */
  input: number
  /** USD per million completion tokens. */
  output: number
}

/** The HTTP server's listening address and its limits, towards clients and towards upstream LLMs. */
export interface ServerConfig {
  host: string
  port: number
  maxBodyBytes: number
  /** No response head (or no next chunk) from the LLM within this, waiting for a connection included: 504. */
  upstreamTimeoutMs: number
  /** A client must send its request's headers within this (slowloris), else 408 and the connection closes. */
  headersTimeoutMs: number
  /** A client must send its whole request (headers and body) within this; the response, a stream included, is not limited by it. */
  requestTimeoutMs: number
  /** An idle keep-alive connection closes after this. */
  keepAliveTimeoutMs: number
  /** Client connections open at once; connections beyond are closed as they arrive. */
  maxConnections: number
  /** Connections to one LLM at once; each LLM has its own pool, so one that hangs cannot starve another. */
  upstreamMaxConnections: number
  /** The largest JSON answer read from an LLM: 502 UPSTREAM_RESPONSE_TOO_LARGE past it. */
  upstreamMaxResponseBytes: number
  /** The largest single event of an LLM's stream: the stream ends with an UPSTREAM_RESPONSE_TOO_LARGE error event past it. */
  upstreamMaxEventBytes: number
}

export interface GatewayConfig {
  server: ServerConfig
  llms: LlmConfig[]
  apps: AppConfig[]
  plugins: PluginConfig[]
  pricing: Record<string, Pricing>
  collector: CollectorConfig
  /**
   * `defaultCompletionTokens`: what a request that sets no token limit reserves for the completion;
   * `limits`: every budget, each checked and charged for every request of its app or to its LLM.
   */
  budgets: { defaultCompletionTokens: number; limits: BudgetLimit[] }
}

export interface CollectorConfig {
  /** Records waiting to be batched; more are dropped (`queue_full`). */
  maxQueue: number
  batchSize: number
  flushIntervalMs: number
  /** Records waiting for one plugin (while it restarts, or is slow); more are dropped (`buffer_full`). */
  maxBuffered: number
  /** Batches sent to one plugin at a time. */
  maxInFlight: number
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string' },
        port: { type: ['integer', 'string'] },
        maxBodyBytes: { type: 'integer', minimum: 1 },
        upstreamTimeoutMs: { type: 'integer', minimum: 1 },
        headersTimeoutMs: { type: 'integer', minimum: 1 },
        requestTimeoutMs: { type: 'integer', minimum: 1 },
        keepAliveTimeoutMs: { type: 'integer', minimum: 1 },
        maxConnections: { type: 'integer', minimum: 1 },
        upstreamMaxConnections: { type: 'integer', minimum: 1 },
        upstreamMaxResponseBytes: { type: 'integer', minimum: 1 },
        upstreamMaxEventBytes: { type: 'integer', minimum: 1 },
      },
    },
    llms: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['slug', 'vendor', 'models'],
        properties: {
          slug: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          name: { type: 'string' },
          description: { type: 'string' },
          enabled: { type: 'boolean' },
          vendor: { enum: ['mock', 'openai', 'anthropic'] },
          baseUrl: { type: 'string' },
          apiKey: { type: 'string' },
          apiKeyEncrypted: { type: 'string' },
          models: { type: 'array', items: { type: 'string' }, minItems: 1 },
          defaultModel: { type: 'string' },
          nativeApis: { type: 'array', items: { enum: NATIVE_APIS }, uniqueItems: true },
          mock: {
            type: 'object',
            additionalProperties: false,
            properties: {
              latencyMs: { type: 'number', minimum: 0 },
              chunkDelayMs: { type: 'number', minimum: 0 },
              completionTokens: { type: 'integer', minimum: 1 },
              chunks: { type: 'integer', minimum: 1 },
            },
          },
        },
      },
    },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'keys'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          enabled: { type: 'boolean' },
          owner: { type: 'string' },
          metadata: { type: 'object' },
          keys: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                value: { type: 'string', minLength: 8 },
                hash: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
                revoked: { type: 'boolean' },
                expiresAt: { type: 'string' },
              },
            },
          },
          allowedLlms: { type: 'array', items: { type: 'string' } },
          monthlyBudget: { type: 'number', minimum: 0 },
        },
      },
    },
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'source'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          enabled: { type: 'boolean' },
          source: { type: 'string' },
          hooks: {
            type: 'array',
            items: { enum: HOOK_NAMES },
          },
          priority: { type: 'number' },
          failurePolicy: { enum: ['fail-open', 'fail-closed'] },
          deadlineMs: { type: 'integer', minimum: 1 },
          config: {},
          scopes: { type: 'array', items: { type: 'string' } },
          env: { type: 'object', additionalProperties: { type: 'string' } },
          allowRead: { type: 'array', items: { type: 'string' } },
          allowWrite: { type: 'array', items: { type: 'string' } },
          isolation: {
            anyOf: [
              { const: false },
              {
                type: 'object',
                additionalProperties: false,
                properties: {
                  uid: { type: 'integer', minimum: 1 },
                  gid: { type: 'integer', minimum: 1 },
                  uidRange: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['first', 'count'],
                    properties: { first: { type: 'integer', minimum: 1 }, count: { type: 'integer', minimum: 1 } },
                  },
                },
              },
            ],
          },
          restart: {
            type: 'object',
            additionalProperties: false,
            properties: {
              initialDelayMs: { type: 'integer', minimum: 0 },
              maxDelayMs: { type: 'integer', minimum: 0 },
              maxCrashes: { type: 'integer', minimum: 1 },
              windowMs: { type: 'integer', minimum: 1 },
            },
          },
          breaker: {
            type: 'object',
            additionalProperties: false,
            properties: { failureThreshold: { type: 'integer', minimum: 1 }, cooldownMs: { type: 'integer', minimum: 0 } },
          },
          includeBodies: { type: 'boolean' },
          apps: { type: 'array', items: { type: 'string', minLength: 1 } },
          llms: { type: 'array', items: { type: 'string', minLength: 1 } },
          topics: {
            type: 'object',
            additionalProperties: false,
            properties: { publish: { type: 'array', items: { type: 'string', minLength: 1 } }, subscribe: { type: 'array', items: { type: 'string', minLength: 1 } } },
          },
          revision: { type: 'integer', minimum: 0 },
          objectHooks: { type: 'array', items: { type: 'string' } },
          tools: { type: 'array', items: { type: 'string', minLength: 1 } },
          datasources: { type: 'array', items: { type: 'string', minLength: 1 } },
          chatGroups: { type: 'array', items: { type: 'string', minLength: 1 } },
          serviceApiRateLimit: {
            type: 'object',
            additionalProperties: false,
            required: ['callsPerSecond'],
            properties: { callsPerSecond: { type: 'number', exclusiveMinimum: 0 }, burst: { type: 'integer', minimum: 1 } },
          },
        },
      },
    },
    pricing: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['input', 'output'],
        properties: { input: { type: 'number', minimum: 0 }, output: { type: 'number', minimum: 0 } },
      },
    },
    collector: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxQueue: { type: 'integer', minimum: 1 },
        batchSize: { type: 'integer', minimum: 1 },
        flushIntervalMs: { type: 'integer', minimum: 1 },
        maxBuffered: { type: 'integer', minimum: 1 },
        maxInFlight: { type: 'integer', minimum: 1 },
      },
    },
    budgets: {
      type: 'object',
      additionalProperties: false,
      properties: {
        defaultCompletionTokens: { type: 'integer', minimum: 1 },
        limits: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['limit'],
            properties: {
              id: { type: 'string', minLength: 1, maxLength: 200 },
              app: { type: 'string' },
              llm: { type: 'string' },
              limit: { type: 'number', exclusiveMinimum: 0 },
              // Checked in code: a schema union would report every branch it did not take.
              period: { type: ['string', 'object'] },
              thresholds: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, maximum: 100 } },
            },
          },
        },
      },
    },
  },
} as const

// verbose: each error carries its schema, which names the keys and values that would have been allowed.
const validate = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true }).compile<ConfigDocument>(schema)

/**
 * One schema error as a YAML user reads it: where (`plugins[2].failurePolicy`)
 * and what would be allowed there (`must be one of fail-open, fail-closed`).
 */
function describeSchemaError(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((at, segment) => (/^\d+$/.test(segment) ? `${at}[${segment}]` : at ? `${at}.${segment}` : segment), '')
  const at = (key: string) => (path ? `${path}.${key}` : key)
  switch (error.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {})
      return `${at((error.params as { additionalProperty: string }).additionalProperty)}: unknown key; allowed: ${allowed.join(', ')}`
    }
    case 'required':
      return `${at((error.params as { missingProperty: string }).missingProperty)}: required`
    case 'enum':
      return `${path || '(top level)'}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
    case 'type':
      return `${path || '(top level)'}: must be ${[(error.params as { type: string | string[] }).type].flat().join(' or ')}`
    default:
      return `${path || '(top level)'}: ${error.message ?? 'is invalid'}`
  }
}

/** The LLM configured under `slug`; LLM_NOT_FOUND otherwise. */
export function llmBySlug(config: GatewayConfig, slug: string): LlmConfig {
  const llm = config.llms.find((candidate) => candidate.slug === slug)
  if (!llm) throw new GatewayError('LLM_NOT_FOUND', `no LLM is configured under "${slug}"`)
  return llm
}

/** sha256 of an API key, as stored and compared. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex')
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` with environment values. A variable
 * that is unset and has no default is an error, so a missing secret is never
 * silently an empty string.
 */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/gi, (_match, name: string, fallback: string | undefined) => {
    const value = env[name]
    if (value !== undefined && value !== '') return value
    if (fallback !== undefined) return fallback
    throw new GatewayError('CONFIG_INVALID', `config refers to \${${name}}, which is not set in the environment`)
  })
}

/** Interpolates every string value (not comments, not keys), so values from the environment are never parsed as YAML. */
export function interpolateValues(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return interpolateEnv(value, env)
  if (Array.isArray(value)) return value.map((item) => interpolateValues(item, env))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateValues(item, env)]))
  return value
}

/** A config as its YAML reads, before defaults and checks: what `configFromDocument` takes (and Studio's export writes). */
export type ConfigDocument = {
  server?: Partial<Omit<ServerConfig, 'port'>> & { port?: number | string }
  llms?: Array<{
    slug: string
    name?: string
    /** For people (Studio's); the gateway ignores it. */
    description?: string
    enabled?: boolean
    vendor: VendorName
    baseUrl?: string
    apiKey?: string
    apiKeyEncrypted?: string
    models: string[]
    defaultModel?: string
    /** Absent: the vendor's default (`defaultNativeApis`); `[]`: always translate. */
    nativeApis?: NativeApi[]
    mock?: Partial<MockOptions>
  }>
  apps?: Array<{
    id: string
    name?: string
    enabled?: boolean
    owner?: string
    metadata?: Record<string, unknown>
    keys: Array<{ value?: string; hash?: string; revoked?: boolean; expiresAt?: string }>
    allowedLlms?: string[]
    monthlyBudget?: number
  }>
  plugins?: Array<Omit<PluginConfig, 'priority' | 'failurePolicy' | 'config' | 'scopes'> & Partial<PluginConfig> & { enabled?: boolean }>
  pricing?: Record<string, Pricing>
  collector?: Partial<GatewayConfig['collector']>
  budgets?: { defaultCompletionTokens?: number; limits?: RawBudgetLimit[] }
}

type RawBudgetLimit = { id?: string; app?: string; llm?: string; limit: number; period?: unknown; thresholds?: number[] }

/**
 * Defaults for a gateway facing the public: a client gets 10 s for its
 * headers and 60 s for its whole request (a 1 MiB body at 140 kbit/s); idle
 * keep-alive connections live 65 s, past the 60 s idle timeout of common load
 * balancers, so the gateway never closes one a balancer is about to reuse.
 */
const SERVER_DEFAULTS: Omit<ServerConfig, 'port'> = {
  host: '127.0.0.1',
  maxBodyBytes: 1024 * 1024,
  upstreamTimeoutMs: 120_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 10_000,
  upstreamMaxConnections: 256,
  upstreamMaxResponseBytes: 64 * 1024 * 1024,
  upstreamMaxEventBytes: 1024 * 1024,
}

const DEFAULT_BASE_URL: Record<VendorName, string> = {
  mock: '',
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
}

/**
 * What an LLM speaks natively when its config does not say: Anthropic its
 * Messages API, OpenAI's own server its Responses API; OpenAI-compatible
 * servers (vLLM, Ollama, …) and the mock only chat completions.
 */
function defaultNativeApis(vendor: VendorName, baseUrl: string): NativeApi[] {
  if (vendor === 'anthropic') return ['anthropic.messages']
  if (vendor === 'openai' && baseUrl === DEFAULT_BASE_URL.openai) return ['responses']
  return []
}

/** Parses and validates a YAML (or JSON) config; plugin `file://` paths are relative to `baseDir`. */
export function parseConfig(text: string, options: { env?: NodeJS.ProcessEnv; baseDir: string }): GatewayConfig {
  const env = options.env ?? process.env
  let raw: unknown
  try {
    raw = interpolateValues(parseYaml(text) ?? {}, env)
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause
    throw new GatewayError('CONFIG_INVALID', `config is not valid YAML: ${(cause as Error).message}`, undefined, { cause })
  }
  return configFromDocument(raw, { env, baseDir: options.baseDir })
}

/**
 * Validates a parsed config document (no `${VAR}` interpolation: its values
 * are taken as they are) and applies the defaults. `env` holds the master key
 * for `apiKeyEncrypted`.
 */
export function configFromDocument(raw: unknown, options: { env?: NodeJS.ProcessEnv; baseDir: string }): GatewayConfig {
  const env = options.env ?? process.env
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map(describeSchemaError).join('; ')
    throw new GatewayError('CONFIG_INVALID', `config is invalid: ${problems}`)
  }
  const port = Number(raw.server?.port ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GatewayError('CONFIG_INVALID', `server.port ${raw.server?.port} is not a port number`)

  const allSlugs = new Set((raw.llms ?? []).map((llm) => llm.slug))
  if (allSlugs.size !== (raw.llms ?? []).length) throw new GatewayError('CONFIG_INVALID', 'two LLMs share a slug')
  // Disabled entries too: enabling one (Studio's `enabled: true`) changes nothing else, so it must not then fail.
  for (const llm of raw.llms ?? []) {
    const problem = nativeApisProblem(llm.vendor, llm.nativeApis ?? [])
    if (problem) throw new GatewayError('CONFIG_INVALID', `LLM "${llm.slug}" (${llm.vendor}): ${problem}`)
  }
  // `enabled: false` keeps an entry in the file (and in Studio) but out of service.
  const llms: LlmConfig[] = (raw.llms ?? []).filter((llm) => llm.enabled !== false).map((llm) => {
    if (llm.defaultModel !== undefined && !llm.models.includes(llm.defaultModel)) {
      throw new GatewayError('CONFIG_INVALID', `LLM "${llm.slug}": defaultModel "${llm.defaultModel}" is not one of its models`)
    }
    if (llm.vendor !== 'mock' && !llm.apiKey && !llm.apiKeyEncrypted) {
      throw new GatewayError('CONFIG_INVALID', `LLM "${llm.slug}" (${llm.vendor}) needs apiKey or apiKeyEncrypted`)
    }
    const baseUrl = (llm.baseUrl ?? DEFAULT_BASE_URL[llm.vendor]).replace(/\/+$/, '')
    return {
      slug: llm.slug,
      vendor: llm.vendor,
      baseUrl,
      apiKey: llm.apiKeyEncrypted ? decryptSecret(llm.apiKeyEncrypted, env) : (llm.apiKey ?? ''),
      models: llm.models,
      nativeApis: llm.nativeApis ?? defaultNativeApis(llm.vendor, baseUrl),
      mock: { latencyMs: 0, chunkDelayMs: 0, completionTokens: 16, chunks: 8, ...llm.mock },
    }
  })
  const slugs = new Set(llms.map((llm) => llm.slug))

  for (const app of raw.apps ?? []) {
    const unknown = (app.allowedLlms ?? []).filter((slug) => !allSlugs.has(slug) && slug !== '*')
    if (unknown.length) throw new GatewayError('CONFIG_INVALID', `app "${app.id}" allows unknown LLMs: ${unknown.join(', ')}`)
  }
  const apps: AppConfig[] = (raw.apps ?? []).filter((app) => app.enabled !== false).map((app) => ({
    id: app.id,
    name: app.name ?? app.id,
    metadata: app.metadata ?? {},
    ...(app.owner !== undefined && { owner: app.owner }),
    keys: app.keys.map((key, i) => {
      if (!key.value === !key.hash) throw new GatewayError('CONFIG_INVALID', `app "${app.id}": each key needs exactly one of value or hash`)
      const parsed: AppKey = { hash: key.hash ? key.hash.slice('sha256:'.length) : hashApiKey(key.value!), revoked: key.revoked ?? false }
      if (key.expiresAt !== undefined) parsed.expiresAt = parseInstant(key.expiresAt, `apps[${app.id}].keys[${i}].expiresAt`)
      return parsed
    }),
    // A disabled LLM stays allowed in the file; the gateway serves only the enabled ones.
    allowedLlms: app.allowedLlms?.filter((slug) => slugs.has(slug) || slug === '*') ?? [...slugs],
  }))

  const limits = budgetLimits(raw, { apps: new Set((raw.apps ?? []).map((app) => app.id)), llms: allSlugs }, { apps: new Set(apps.map((app) => app.id)), llms: slugs })

  const pluginNames = new Set<string>()
  for (const { name } of raw.plugins ?? []) {
    if (pluginNames.has(name)) throw new GatewayError('CONFIG_INVALID', `two plugins are named "${name}"; each entry needs its own name`)
    pluginNames.add(name)
  }
  const plugins: PluginConfig[] = (raw.plugins ?? []).filter((plugin) => plugin.enabled !== false).map(({ enabled: _enabled, ...plugin }) => ({
    ...plugin,
    source: resolveSource(plugin.source, options.baseDir),
    priority: plugin.priority ?? 0,
    failurePolicy: plugin.failurePolicy ?? 'fail-open',
    config: plugin.config ?? null,
    scopes: (plugin.scopes ?? []) as Scope[],
  }))

  const server: ServerConfig = { ...SERVER_DEFAULTS, ...raw.server, port }
  if (server.headersTimeoutMs > server.requestTimeoutMs) {
    throw new GatewayError('CONFIG_INVALID', `server.headersTimeoutMs (${server.headersTimeoutMs}) must not exceed server.requestTimeoutMs (${server.requestTimeoutMs})`)
  }

  return {
    server,
    llms,
    apps,
    plugins,
    pricing: raw.pricing ?? {},
    collector: { maxQueue: 10_000, batchSize: 100, flushIntervalMs: 1000, maxBuffered: 10_000, maxInFlight: 4, ...raw.collector },
    budgets: { defaultCompletionTokens: raw.budgets?.defaultCompletionTokens ?? 4096, limits },
  }
}

/** An ISO date-time as epoch ms; CONFIG_INVALID naming `where` otherwise. */
function parseInstant(text: string, where: string): number {
  // Date.parse also takes loose forms ("March 7"); a config wants an unambiguous time.
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(text) ? Date.parse(text) : NaN
  if (Number.isNaN(ms)) throw new GatewayError('CONFIG_INVALID', `${where}: "${text}" is not an ISO date-time such as 2026-12-01T00:00:00Z`)
  return ms
}

/**
 * `budgets.limits`, and each app's `monthlyBudget` as the limit `app:<id>`;
 * every target must be in the file and every id be unique. The limits of a
 * disabled app or LLM are left out with it.
 */
function budgetLimits(raw: ConfigDocument, known: { apps: Set<string>; llms: Set<string> }, enabled: { apps: Set<string>; llms: Set<string> }): BudgetLimit[] {
  const appIds = known.apps
  const slugs = known.llms
  const limits: BudgetLimit[] = []
  for (const app of raw.apps ?? []) {
    if (app.monthlyBudget) {
      limits.push({ id: `app:${app.id}`, scope: 'app', target: app.id, limitUsd: app.monthlyBudget, period: { kind: 'monthly' }, thresholds: [...DEFAULT_BUDGET_THRESHOLDS] })
    }
  }
  for (const [i, entry] of (raw.budgets?.limits ?? []).entries()) {
    const where = `budgets.limits[${i}]`
    if ((entry.app === undefined) === (entry.llm === undefined)) throw new GatewayError('CONFIG_INVALID', `${where}: needs exactly one of app (an app id) or llm (an LLM slug)`)
    const scope = entry.app !== undefined ? 'app' : 'llm'
    const target = (entry.app ?? entry.llm)!
    if (scope === 'app' && !appIds.has(target)) throw new GatewayError('CONFIG_INVALID', `${where}: app "${target}" is not configured under apps`)
    if (scope === 'llm' && !slugs.has(target)) throw new GatewayError('CONFIG_INVALID', `${where}: LLM "${target}" is not configured under llms`)
    const thresholds = entry.thresholds ?? [...DEFAULT_BUDGET_THRESHOLDS]
    if (new Set(thresholds).size !== thresholds.length) throw new GatewayError('CONFIG_INVALID', `${where}.thresholds: each percent may appear once`)
    limits.push({ id: entry.id ?? `${scope}:${target}`, scope, target, limitUsd: entry.limit, period: budgetPeriodRule(entry.period, `${where}.period`), thresholds: thresholds.sort((a, b) => a - b) })
  }
  const ids = new Set<string>()
  for (const { id } of limits) {
    if (ids.has(id)) throw new GatewayError('CONFIG_INVALID', `two budgets have the id "${id}" (an app's monthlyBudget is "app:<app id>"); give each its own id`)
    ids.add(id)
  }
  return limits.filter((limit) => (limit.scope === 'app' ? enabled.apps : enabled.llms).has(limit.target))
}

/** `monthly` (the default) or `{ days: N, anchor: <ISO date-time> }`. */
function budgetPeriodRule(period: unknown, where: string): BudgetPeriodRule {
  if (period === undefined || period === 'monthly') return { kind: 'monthly' }
  if (typeof period !== 'object' || period === null) throw new GatewayError('CONFIG_INVALID', `${where}: must be monthly or { days: N, anchor: <ISO date-time> }`)
  const { days, anchor, ...rest } = period as { days?: unknown; anchor?: unknown }
  const unknown = Object.keys(rest)
  if (unknown.length) throw new GatewayError('CONFIG_INVALID', `${where}.${unknown[0]}: unknown key; allowed: days, anchor`)
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_PERIOD_DAYS) {
    throw new GatewayError('CONFIG_INVALID', `${where}.days: must be a whole number of days from 1 to ${MAX_PERIOD_DAYS}`)
  }
  if (typeof anchor !== 'string') throw new GatewayError('CONFIG_INVALID', `${where}.anchor: required, the ISO date-time the first period starts`)
  return { kind: 'days', days, anchor: parseInstant(anchor, `${where}.anchor`) }
}

/** `file://./x` and bare relative paths resolve against the config file's directory. */
export function resolveSource(source: string, baseDir: string): string {
  if (source.startsWith('file://') && !source.startsWith('file:///')) return pathToFileURL(resolve(baseDir, source.slice('file://'.length))).href
  if (!/^[a-z]+:\/\//.test(source)) return pathToFileURL(isAbsolute(source) ? source : resolve(baseDir, source)).href
  return source
}

export async function loadConfig(path: string, env?: NodeJS.ProcessEnv): Promise<GatewayConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', `cannot read config file ${path}: ${(cause as Error).message}`, undefined, { cause })
  }
  return parseConfig(text, { env, baseDir: dirname(resolve(path)) })
}
