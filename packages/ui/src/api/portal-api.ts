import type { BudgetItem, LlmItem, MyAppCreateBody, MyUsageItem, PortalExtensionsAnswer } from '@plugboard/studio/api-types'
import { appCalls } from './app-calls'
import { apiRequest } from './client'
import type { Page } from './page'

/** The calls the portal makes: the signed-in user's own apps and keys, the LLMs they may use, their usage and budgets, the plugin pages they may see. */
export const portalApi = {
  ...appCalls<MyAppCreateBody>('/me/apps'),
  llms: () => apiRequest<Page<LlmItem>>('/me/llms?limit=200'),
  usage: () => apiRequest<MyUsageItem>('/me/usage'),
  budgets: () => apiRequest<Page<BudgetItem>>('/me/budgets?limit=200'),
  uiExtensions: () => apiRequest<PortalExtensionsAnswer>('/me/ui/extensions'),
}
