import type { Scope } from '@plugboard/studio/api-types'

/** What each Service API scope lets a plugin do, as the admin reads it before granting it (every scope must have one). */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'llms.read': 'List and read the LLMs (vendor keys stay hidden)',
  'llms.write': 'Create, change and delete LLMs',
  'llms.proxy': 'Send completions to LLMs through the gateway, as itself',
  'apps.read': 'List and read the apps',
  'apps.write': 'Create, change and delete apps',
  'tools.read': 'List and read the tools',
  'tools.write': 'Create, change and delete tools',
  'tools.execute': 'Call the tools’ operations',
  'datasources.read': 'List and read the datasources',
  'datasources.write': 'Create, change and delete datasources',
  'datasources.query': 'Search the datasources’ contents',
  'users.read': 'List and read the users',
  'analytics.read': 'Read usage summaries: requests, tokens, cost',
  'plugins.read': 'Read information about the installed plugins',
  'plugins.write': 'Change the installed plugins',
  'kv.readwrite': 'Keep its own data in its key-value store',
  'events.publish': 'Publish events on the topics granted below',
  'events.subscribe': 'Receive events on the topics granted below',
  'scheduler.manage': 'List, pause and run its schedules, and read their runs',
  'system.read': 'Read information about the platform (version, nodes)',
}

/** What granting a topic pattern lets the plugin do. */
export const TOPIC_DESCRIPTIONS = {
  publish: (pattern: string) => `Publish events on topics matching ${pattern}`,
  subscribe: (pattern: string) => `Receive events on topics matching ${pattern}`,
} as const

/** What granting object hooks on a type lets the plugin do. */
export const objectHookDescription = (type: string) => `See, change or refuse ${type} writes (create, update, delete) before and after they happen`
