/** Service API scopes an admin grants to a plugin (DESIGN.md section 4). */
export const SCOPES = [
  'llms.read',
  'llms.write',
  'llms.proxy',
  'apps.read',
  'apps.write',
  'tools.read',
  'tools.write',
  'tools.execute',
  'datasources.read',
  'datasources.write',
  'datasources.query',
  'users.read',
  'analytics.read',
  'plugins.read',
  'plugins.write',
  'kv.readwrite',
  'events.publish',
  'events.subscribe',
  'scheduler.manage',
  'system.read',
] as const

export type Scope = (typeof SCOPES)[number]

/**
 * The scope each Service API method requires; `null` means any plugin may call it.
 * Keys are the method names of `plugboard.service.v1.ServiceApi` in lowerCamelCase,
 * as the generated service definition names them.
 */
export const SERVICE_API_METHOD_SCOPES = {
  kvGet: 'kv.readwrite',
  kvSet: 'kv.readwrite',
  kvDelete: 'kv.readwrite',
  kvList: 'kv.readwrite',
  kvIncrement: 'kv.readwrite',
  kvCompareAndSet: 'kv.readwrite',
  log: null,
  publish: 'events.publish',
  subscribe: 'events.subscribe',
  sendEdgePayload: 'events.publish',
  listLlms: 'llms.read',
  getLlm: 'llms.read',
  createLlm: 'llms.write',
  updateLlm: 'llms.write',
  deleteLlm: 'llms.write',
  proxyCompletion: 'llms.proxy',
  proxyCompletionStream: 'llms.proxy',
  listApps: 'apps.read',
  getApp: 'apps.read',
  createApp: 'apps.write',
  updateApp: 'apps.write',
  deleteApp: 'apps.write',
  listTools: 'tools.read',
  getTool: 'tools.read',
  executeTool: 'tools.execute',
  listDatasources: 'datasources.read',
  getDatasource: 'datasources.read',
  queryDatasource: 'datasources.query',
  listUsers: 'users.read',
  getUser: 'users.read',
  getAnalyticsSummary: 'analytics.read',
  listSchedules: 'scheduler.manage',
  setScheduleEnabled: 'scheduler.manage',
  runScheduleNow: 'scheduler.manage',
  listScheduleRuns: 'scheduler.manage',
  getPluginInfo: 'plugins.read',
  getSystemInfo: 'system.read',
} as const satisfies Record<string, Scope | null>

export type ServiceApiMethod = keyof typeof SERVICE_API_METHOD_SCOPES
