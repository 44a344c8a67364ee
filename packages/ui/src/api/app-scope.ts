import type { LlmItem, MyAppCreateBody } from '@plugboard/studio/api-types'
import { adminApi } from './admin-api'
import type { AppCalls } from './app-calls'
import type { Page } from './page'
import { portalApi } from './portal-api'

/**
 * Whose apps the app pages show: the admin's (every app, any LLM) or a
 * portal user's (their own, the LLMs their groups are granted). The pages
 * are the same; the calls, the paths and a few words differ.
 */
export interface AppScope {
  /** The app list's path: an app's page is `{home}/{id}`, the create form `{home}/new`. */
  home: string
  title: string
  api: AppCalls<MyAppCreateBody>
  /** The LLMs a new app may be allowed. */
  llms: () => Promise<Page<LlmItem>>
  /** Shown on the create form when there are none. */
  noLlms: string
  /** Whether an app's page shows the tabs UI plugins add (admin pages only: reading them is an admin route). */
  pluginTabs: boolean
  /** Whether an app can be edited and deleted (the admin's apps: the portal has no routes for it). */
  manage: boolean
}

export const ADMIN_APPS: AppScope = { home: '/apps', title: 'Apps', api: adminApi, llms: adminApi.llms, noLlms: 'No LLMs yet: the app will be allowed none.', pluginTabs: true, manage: true }

export const MY_APPS: AppScope = {
  home: '/portal/apps',
  title: 'My apps',
  api: portalApi,
  llms: portalApi.llms,
  noLlms: 'No LLMs are granted to your groups yet: the app will be allowed none. Ask an admin for access.',
  pluginTabs: false,
  manage: false,
}
