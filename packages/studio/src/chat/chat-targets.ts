import type { PluginManifest } from '@plugboard/host'
import type { Principal } from '../api/auth.js'
import type { StudioDb } from '../db/database.js'
import { notFound } from '../errors.js'
import { declarationsOf } from '../plugins/plugin-declarations.js'
import type { StudioPluginSpec } from '../plugins/plugin-runtime.js'
import { groupNamesOf } from '../resources/groups.js'
import { usableLlms } from '../resources/my-llms.js'
import type { ChatTarget } from './conversation-store.js'

export interface ChatTargetItem extends ChatTarget {
  /** What a picker shows: the manifest's name of an agent, the LLM's name. */
  label: string
  description: string
}

type Caller = Pick<Principal, 'userId' | 'role'>

/** The enabled agent plugins `caller` may chat with: those whose `chatGroups` are empty or hold a group of theirs (admins: all). */
async function agents(db: StudioDb, caller: Caller): Promise<ChatTargetItem[]> {
  const [rows, groups] = await Promise.all([
    db.selectFrom('plugins').select(['name', 'manifest', 'spec']).where('enabled', '=', true).orderBy('name').execute(),
    caller.role === 'admin' ? undefined : groupNamesOf(db, caller.userId),
  ])
  const allowed = (spec: StudioPluginSpec) => !groups || !spec.chatGroups?.length || spec.chatGroups.some((name) => groups.includes(name))
  return rows
    .filter((row) => declarationsOf(row.manifest as PluginManifest | null).capabilities.includes('agent') && allowed(row.spec as StudioPluginSpec))
    .map((row) => {
      const manifest = row.manifest as { name?: unknown; description?: unknown } | null
      return { kind: 'agent', name: row.name, label: typeof manifest?.name === 'string' ? manifest.name : row.name, description: typeof manifest?.description === 'string' ? manifest.description : '' }
    })
}

/** What `caller` may chat with: the enabled plugins that are agents, and the LLMs they may use. */
export async function chatTargets(db: StudioDb, caller: Caller): Promise<ChatTargetItem[]> {
  const [agentItems, llms] = await Promise.all([agents(db, caller), usableLlms(db, caller).orderBy('slug').execute()])
  return [...agentItems, ...llms.map((llm): ChatTargetItem => ({ kind: 'llm', name: llm.slug, label: llm.name, description: llm.description }))]
}

/** The target, if `caller` may chat with it now; NOT_FOUND otherwise (a disabled agent or one not open to their groups, an LLM not granted to them). */
export async function usableTarget(db: StudioDb, caller: Caller, target: ChatTarget): Promise<ChatTargetItem> {
  const found = (await chatTargets(db, caller)).find((item) => item.kind === target.kind && item.name === target.name)
  if (!found) throw notFound(target.kind === 'agent' ? 'agent' : 'LLM', target.name)
  return found
}
