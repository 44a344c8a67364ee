import type { PluginInstallBody, PluginItem, PluginLogLine, PluginStatusItem, PluginUpdateBody, Scope } from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'

const plugin = (idOrName: string) => `/plugins/${encodeURIComponent(idOrName)}`

/** What a plugin runs for and how: the binding fields of its `PATCH` (`deadlineMs: null` is the default deadline). */
export type PluginBindingBody = Pick<PluginUpdateBody, 'priority' | 'failurePolicy' | 'deadlineMs' | 'apps' | 'llms' | 'tools' | 'datasources' | 'chatGroups'>

/** The plugin admin API calls the Plugins pages make (a plugin is named by its id or its name). */
export const pluginsApi = {
  list: () => apiRequest<Page<PluginItem>>('/plugins?limit=200'),
  get: (name: string) => apiRequest<PluginItem>(plugin(name)),
  /** Studio starts the plugin to read its manifest and stores it disabled, with nothing granted. */
  install: (body: PluginInstallBody) => apiRequest<PluginItem>('/plugins', { method: 'POST', body }),
  update: (name: string, body: PluginUpdateBody) => apiRequest<PluginItem>(plugin(name), { method: 'PATCH', body }),
  /** Sets the binding under If-Match: a plugin changed since `version` was read is a 412. */
  setBinding: (name: string, body: PluginBindingBody, version: number) => apiRequest<PluginItem>(plugin(name), { method: 'PATCH', body, ifMatch: version }),
  grantScope: (name: string, scope: Scope) => apiRequest<PluginItem>(`${plugin(name)}/scopes`, { method: 'POST', body: { scope } }),
  revokeScope: (name: string, scope: Scope) => apiRequest<PluginItem>(`${plugin(name)}/scopes/${encodeURIComponent(scope)}`, { method: 'DELETE' }),
  enable: (name: string) => apiRequest<PluginItem>(`${plugin(name)}/enable`, { method: 'POST' }),
  disable: (name: string) => apiRequest<PluginItem>(`${plugin(name)}/disable`, { method: 'POST' }),
  reload: (name: string) => apiRequest<PluginItem>(`${plugin(name)}/reload`, { method: 'POST' }),
  status: (name: string) => apiRequest<PluginStatusItem>(`${plugin(name)}/status`),
  logs: (name: string) => apiRequest<{ items: PluginLogLine[] }>(`${plugin(name)}/logs?limit=100`),
  uninstall: (name: string) => apiRequest<void>(plugin(name), { method: 'DELETE' }),
}
