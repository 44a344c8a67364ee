import { isDeepStrictEqual } from 'node:util'
import type { GatewayConfig } from './config.js'
import type { PluginChanges } from './gateway-plugins.js'

/** Added, removed and changed entries of one config section, by key. */
export interface SectionChanges {
  added?: string[]
  removed?: string[]
  changed?: string[]
}

/** What a config apply changed; only sections with changes are present (the `config applied` log line). */
export interface ConfigChanges {
  llms?: SectionChanges
  apps?: SectionChanges
  pricing?: SectionChanges
  /** Budget limits, by id. */
  budgets?: SectionChanges
  plugins?: Partial<PluginChanges>
  /** Changed keys of `server` and `collector`. */
  server?: string[]
  collector?: string[]
}

function section<T>(previous: Iterable<[string, T]>, next: Iterable<[string, T]>): SectionChanges | undefined {
  const before = new Map(previous)
  const after = new Map(next)
  const changes: SectionChanges = {
    added: [...after.keys()].filter((key) => !before.has(key)),
    removed: [...before.keys()].filter((key) => !after.has(key)),
    changed: [...after].filter(([key, value]) => before.has(key) && !isDeepStrictEqual(before.get(key), value)).map(([key]) => key),
  }
  return nonEmpty(changes)
}

function nonEmpty<T extends object>(changes: T): Partial<T> | undefined {
  const kept = Object.entries(changes).filter(([, names]) => (names as string[]).length > 0)
  return kept.length ? (Object.fromEntries(kept) as Partial<T>) : undefined
}

const changedKeys = (previous: object, next: object) => {
  const keys = [...new Set([...Object.keys(previous), ...Object.keys(next)])]
  const changed = keys.filter((key) => !isDeepStrictEqual((previous as Record<string, unknown>)[key], (next as Record<string, unknown>)[key]))
  return changed.length ? changed : undefined
}

/** Summarizes the difference between two configs; plugin changes come from the apply, which knows what it did. */
export function configChanges(previous: GatewayConfig, next: GatewayConfig, plugins: PluginChanges): ConfigChanges {
  const changes: ConfigChanges = {
    llms: section(
      previous.llms.map((llm) => [llm.slug, llm]),
      next.llms.map((llm) => [llm.slug, llm]),
    ),
    apps: section(
      previous.apps.map((app) => [app.id, app]),
      next.apps.map((app) => [app.id, app]),
    ),
    pricing: section(Object.entries(previous.pricing), Object.entries(next.pricing)),
    budgets: section(
      previous.budgets.limits.map((limit) => [limit.id, limit]),
      next.budgets.limits.map((limit) => [limit.id, limit]),
    ),
    plugins: nonEmpty(plugins),
    server: changedKeys(previous.server, next.server),
    collector: changedKeys(previous.collector, next.collector),
  }
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
}
