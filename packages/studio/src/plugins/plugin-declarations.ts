import type { PluginManifest } from '@plugboard/host'
import type { CapabilityName, Scope } from '@plugboard/proto'
import { HOOKED_OBJECT_TYPES, type HookedObjectType } from './plugin-runtime.js'

/**
 * What a plugin's manifest declares and asks for, read one way for the API,
 * the grants' checks and the choice of runtimes. A plugin that serves no
 * manifest (a plain go-plugin plugin) asks for nothing and runs in the gateway.
 */
export interface PluginDeclarations {
  version: string | null
  description: string | null
  runtimes: Array<'gateway' | 'studio'>
  capabilities: CapabilityName[]
  /** Service API scopes it asks for. */
  scopes: string[]
  /** Event topic patterns it asks to publish and subscribe to. */
  topics: { publish: string[]; subscribe: string[] }
  /** Object types it registers hooks on ("llm:before_create" → llm), and the subscriptions themselves. */
  objectTypes: HookedObjectType[]
  objectHooks: string[]
  schedules: unknown[]
}

/** Capabilities a Studio half serves, and those a gateway half does. */
const STUDIO_CAPABILITIES: readonly CapabilityName[] = ['object_hooks', 'scheduler', 'edge_payload_receiver', 'agent', 'ui_provider', 'portal_ui']
const GATEWAY_CAPABILITIES: readonly CapabilityName[] = ['pre_auth', 'auth', 'post_auth', 'response', 'stream_complete', 'data_collection', 'custom_endpoints']

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [])

export function declarationsOf(manifest: PluginManifest | null | undefined): PluginDeclarations {
  const events = (manifest?.permissions as { events?: { publish?: unknown; subscribe?: unknown } } | undefined)?.events
  const objectHooks = strings(manifest?.objectHooks)
  const objectTypes = HOOKED_OBJECT_TYPES.filter((type) => objectHooks.some((hook) => hook.split(':')[0] === type))
  const runtimes = strings(manifest?.runtimes).filter((runtime): runtime is 'gateway' | 'studio' => runtime === 'gateway' || runtime === 'studio')
  return {
    version: typeof manifest?.version === 'string' ? manifest.version : null,
    description: typeof manifest?.description === 'string' ? manifest.description : null,
    runtimes: manifest ? (runtimes.length > 0 ? runtimes : ['gateway', 'studio']) : ['gateway'],
    capabilities: strings(manifest?.capabilities) as CapabilityName[],
    scopes: strings(manifest?.permissions?.services),
    topics: { publish: strings(events?.publish), subscribe: strings(events?.subscribe) },
    objectTypes,
    objectHooks,
    schedules: Array.isArray(manifest?.schedules) ? (manifest.schedules as unknown[]) : [],
  }
}

/**
 * Whether the plugin has a half in `runtime`: the manifest lists the runtime
 * and the plugin implements a capability that runtime serves. One without a
 * manifest, or that lists no capabilities, runs in the gateway only.
 */
export function runsIn(declared: PluginDeclarations, runtime: 'gateway' | 'studio'): boolean {
  if (!declared.runtimes.includes(runtime)) return false
  if (declared.capabilities.length === 0) return runtime === 'gateway'
  return declared.capabilities.some((capability) => (runtime === 'studio' ? STUDIO_CAPABILITIES : GATEWAY_CAPABILITIES).includes(capability))
}

/**
 * Scopes a newer manifest asks for that the older one did not and that are
 * not granted: what a reload shows as pending until an admin approves.
 */
export function newlyRequested(previous: PluginDeclarations, next: PluginDeclarations, granted: readonly Scope[]): string[] {
  return next.scopes.filter((scope) => !previous.scopes.includes(scope) && !granted.includes(scope as Scope))
}
