import { Ajv, type ErrorObject } from 'ajv'
import { SCOPES, callUnary, isPlugboardError, topicProblem, withinAny, type Scope, type TopicGrant, type pluginv1 as pb } from '@plugboard/proto'
import { hostError } from './errors.js'

/**
 * The manifest a plugin serves (DESIGN.md section 4), as far as the host reads
 * it; the rest is kept as the plugin sent it, for runtimes and UIs.
 */
export interface PluginManifest {
  id?: string
  name?: string
  version?: string
  description?: string
  /**
   * `services`: the Service API scopes the plugin asks for; an admin grants a subset.
   * `events`: the topic patterns it asks to publish to and subscribe within; an admin grants patterns they cover.
   */
  permissions?: { services?: string[]; events?: TopicPatterns }
  configSchema?: unknown
  [field: string]: unknown
}

/** Topic patterns for publishing and for subscribing, as a manifest declares them and an admin grants them. */
export interface TopicPatterns {
  publish?: string[]
  subscribe?: string[]
}

/** A JSON Schema (draft 2020-12 or 07, as ajv reads it). */
export type JsonSchema = Record<string, unknown> | boolean

/** What a plugin says about itself before it is given its config. */
export interface PluginSelfDescription {
  /** Undefined for a plugin that serves no manifest (a plain go-plugin plugin). */
  manifest?: PluginManifest
  /** Undefined when the plugin serves none; its config is then not validated. */
  configSchema?: JsonSchema
}

/** gRPC's UNIMPLEMENTED: a plugin not built with the SDK may not serve the getters. */
const UNIMPLEMENTED = 12

/**
 * Reads the manifest and config schema through the Plugin service's getters.
 * They need no config, so the host calls them before Initialize and checks the
 * config and scopes against them before the plugin sees either.
 */
export async function readSelfDescription(client: pb.PluginClient, plugin: string, deadline: Date): Promise<PluginSelfDescription> {
  const read = async (method: 'getManifest' | 'getConfigSchema'): Promise<unknown> => {
    let document: pb.JsonDocument
    try {
      document = await callUnary(client, method, {}, { deadline, errorCode: 'PLUGIN_MANIFEST_INVALID' })
    } catch (error) {
      if (isPlugboardError(error) && (error.cause as { code?: number } | undefined)?.code === UNIMPLEMENTED) return undefined
      throw hostError('PLUGIN_CONNECT_FAILED', `plugin "${plugin}" did not answer ${method}: ${String((error as Error).message ?? error)}`, error)
    }
    if (document.json.length === 0) return undefined
    try {
      return JSON.parse(document.json.toString('utf8')) as unknown
    } catch (cause) {
      throw hostError('PLUGIN_MANIFEST_INVALID', `plugin "${plugin}" answered ${method} with invalid JSON`, cause)
    }
  }
  const [manifest, configSchema] = await Promise.all([read('getManifest'), read('getConfigSchema')])
  if (manifest !== undefined && (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))) {
    throw hostError('PLUGIN_MANIFEST_INVALID', `plugin "${plugin}" served a manifest that is not a JSON object`)
  }
  if (configSchema !== undefined && typeof configSchema !== 'boolean' && (typeof configSchema !== 'object' || configSchema === null || Array.isArray(configSchema))) {
    throw hostError('PLUGIN_MANIFEST_INVALID', `plugin "${plugin}" served a config schema that is neither an object nor a boolean`)
  }
  return { manifest: manifest as PluginManifest | undefined, configSchema: configSchema as JsonSchema | undefined }
}

const ajv = new Ajv({ allErrors: true, strict: false })

/**
 * Checks `config` against the plugin's schema. A missing config (undefined or
 * null) is checked as `{}`, which is what plugins read it as. Throws
 * PLUGIN_CONFIG_INVALID whose message and `details` list each problem as
 * "JSON pointer: message" (`/allow/0: must be string`), or
 * PLUGIN_MANIFEST_INVALID when the schema itself does not compile.
 */
export function validateConfig(plugin: string, schema: JsonSchema | undefined, config: unknown): void {
  if (schema === undefined) return
  let validate: ReturnType<Ajv['compile']>
  try {
    validate = ajv.compile(schema)
  } catch (cause) {
    throw hostError('PLUGIN_MANIFEST_INVALID', `plugin "${plugin}" served a config schema ajv cannot compile: ${(cause as Error).message}`, cause)
  } finally {
    // Compiled schemas are cached by object; each load reads a new one, so none is worth keeping.
    if (typeof schema === 'object') ajv.removeSchema(schema)
  }
  if (validate(config ?? {})) return
  const details = (validate.errors ?? []).map(describeProblem)
  const error = hostError('PLUGIN_CONFIG_INVALID', `config of plugin "${plugin}" does not match its schema: ${details.join('; ')}`)
  throw Object.assign(error, { details })
}

function describeProblem(problem: ErrorObject): string {
  const params = problem.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] }
  if (problem.keyword === 'required') return `${problem.instancePath}/${params.missingProperty}: is required`
  if (problem.keyword === 'additionalProperties') return `${problem.instancePath}/${params.additionalProperty}: is not allowed`
  const allowed = problem.keyword === 'enum' ? ` (${params.allowedValues!.map((value) => JSON.stringify(value)).join(', ')})` : ''
  return `${problem.instancePath || '/'}: ${problem.message ?? problem.keyword}${allowed}`
}

const KNOWN_SCOPES: ReadonlySet<string> = new Set(SCOPES)

/**
 * Checks a grant: every scope must be a known scope name and requested by the
 * manifest's `permissions.services` (a plugin without a manifest requests
 * none). Throws PLUGIN_SCOPES_INVALID naming the scope.
 */
export function validateScopes(plugin: string, manifest: PluginManifest | undefined, scopes: readonly string[]): Scope[] {
  const requested = new Set(manifest?.permissions?.services ?? [])
  for (const scope of scopes) {
    if (!KNOWN_SCOPES.has(scope)) {
      throw hostError('PLUGIN_SCOPES_INVALID', `scope "${scope}" granted to plugin "${plugin}" is not a Service API scope; known scopes: ${SCOPES.join(', ')}`)
    }
    if (!requested.has(scope)) {
      throw hostError(
        'PLUGIN_SCOPES_INVALID',
        `scope "${scope}" granted to plugin "${plugin}" is not requested by its manifest (permissions.services: ${[...requested].join(', ') || 'none'}); grant only what the plugin asks for`,
      )
    }
  }
  return scopes as Scope[]
}

/**
 * Checks a topic grant: every granted pattern must be well-formed and lie
 * within a pattern the manifest's `permissions.events` declares for the same
 * use (granting `usage.app.*` for a declared `usage.>` is fine; `>` is not).
 * Throws PLUGIN_TOPICS_INVALID naming the pattern; returns the grant with
 * both lists present.
 */
export function validateTopics(plugin: string, manifest: PluginManifest | undefined, topics: TopicPatterns | undefined): TopicGrant {
  const grant: TopicGrant = { publish: [...(topics?.publish ?? [])], subscribe: [...(topics?.subscribe ?? [])] }
  for (const action of ['publish', 'subscribe'] as const) {
    const declared = manifest?.permissions?.events?.[action] ?? []
    for (const pattern of grant[action]) {
      const problem = topicProblem(pattern, { wildcards: true })
      if (problem) throw hostError('PLUGIN_TOPICS_INVALID', `topic pattern "${pattern}" granted to plugin "${plugin}" for ${action} ${problem}`)
      if (!withinAny(pattern, declared)) {
        throw hostError(
          'PLUGIN_TOPICS_INVALID',
          `topic pattern "${pattern}" granted to plugin "${plugin}" for ${action} is not covered by its manifest (permissions.events.${action}: ${declared.join(', ') || 'none'}); grant only what the plugin asks for`,
        )
      }
    }
  }
  return grant
}
