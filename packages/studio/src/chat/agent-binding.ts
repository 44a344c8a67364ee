import type { pluginv1 } from '@plugboard/proto'
import type { StudioDb } from '../db/database.js'
import type { StudioPluginSpec } from '../plugins/plugin-runtime.js'

/** The kinds of object an agent's binding names, each with the table it lives in. */
const BOUND = [
  { kind: 'llm', table: 'llms', field: 'llms' },
  { kind: 'tool', table: 'tools', field: 'tools' },
  { kind: 'datasource', table: 'datasources', field: 'datasources' },
] as const

/** What an agent is given with each message besides the conversation: its config and the objects its binding names. */
export type AgentBinding = Pick<pluginv1.AgentRequest, 'resources' | 'configJson'>

/**
 * The binding of agent plugin `name` as its request carries it: the LLMs,
 * tools and datasources its spec names (`llms`, `tools`, `datasources`
 * slugs; each resource's `name` is the slug the Service API takes), in the
 * spec's order, and its config. Objects deleted since the binding was set are
 * left out.
 */
export async function agentBinding(db: StudioDb, name: string): Promise<AgentBinding> {
  const row = await db.selectFrom('plugins').select('spec').where('name', '=', name).executeTakeFirst()
  const spec = (row?.spec ?? {}) as StudioPluginSpec
  const resources: pluginv1.AgentResource[] = []
  for (const { kind, table, field } of BOUND) {
    const slugs = (spec[field] as string[] | undefined) ?? []
    if (slugs.length === 0) continue
    const rows = await db.selectFrom(table).select(['id', 'slug']).where('slug', 'in', slugs).execute()
    const bySlug = new Map(rows.map((found) => [found.slug, found.id]))
    for (const slug of slugs) if (bySlug.has(slug)) resources.push({ kind, id: bySlug.get(slug)!, name: slug })
  }
  return { resources, configJson: spec.config === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(spec.config)) }
}
