import type { PluginItem } from '@plugboard/studio/api-types'
import type { PluginBindingBody } from '../api/plugins-api'

/** A plugin's binding as Studio shows it. */
export type PluginBinding = PluginItem['binding']
export type FailurePolicy = NonNullable<PluginBindingBody['failurePolicy']>

/** The binding's lists the card ticks; the last three only an agent is given. */
export const BINDING_LISTS = ['apps', 'llms', 'tools', 'datasources', 'chatGroups'] as const
export type BindingList = (typeof BINDING_LISTS)[number]
const AGENT_LISTS: readonly BindingList[] = ['tools', 'datasources', 'chatGroups']

/** The binding card's values: numbers as typed (an empty deadline is the default), and the binding the edit started from. */
export type BindingValues = Record<BindingList, string[]> & {
  priority: string
  failurePolicy: FailurePolicy
  deadlineMs: string
  /** What a conflict is judged by: the binding changed since, not just the plugin's version (enabling gives it a new one too). */
  basis: PluginBinding
}

/** Whether the manifest says the plugin handles chat messages, and so is given LLMs, tools and datasources and offered to chat groups. */
export const isAgent = (plugin: PluginItem) => plugin.manifest?.capabilities.includes('agent') ?? false

export function bindingValues(binding: PluginBinding): BindingValues {
  return {
    apps: binding.apps,
    llms: binding.llms,
    tools: binding.tools,
    datasources: binding.datasources,
    chatGroups: binding.chatGroups,
    priority: String(binding.priority),
    failurePolicy: binding.failurePolicy as FailurePolicy,
    deadlineMs: binding.deadlineMs === null ? '' : String(binding.deadlineMs),
    basis: binding,
  }
}

const number = (typed: string) => Number(typed.trim())

/** The PATCH body for the values; a non-agent's agent lists are left as they are. */
export function bindingBody(values: BindingValues, agent: boolean): PluginBindingBody {
  const lists = BINDING_LISTS.filter((list) => agent || !AGENT_LISTS.includes(list)).map((list) => [list, values[list]])
  return {
    ...Object.fromEntries(lists),
    priority: values.priority.trim() === '' ? 0 : number(values.priority),
    failurePolicy: values.failurePolicy,
    deadlineMs: values.deadlineMs.trim() === '' ? null : number(values.deadlineMs),
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item) => b.includes(item))

/** Whether two bindings hold the same targets (in any order), priority, failure policy and deadline: all the card edits. */
export function sameBinding(a: PluginBinding, b: PluginBinding): boolean {
  return BINDING_LISTS.every((list) => sameSet(a[list], b[list])) && a.priority === b.priority && a.failurePolicy === b.failurePolicy && a.deadlineMs === b.deadlineMs
}
