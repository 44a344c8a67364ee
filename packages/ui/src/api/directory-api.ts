import type {
  AppItem,
  AppUpdateBody,
  BudgetCreateBody,
  BudgetItem,
  BudgetUpdateBody,
  GroupCreateBody,
  GroupGrantsBody,
  GroupItem,
  GroupUpdateBody,
  LlmItem,
  LlmUpdateBody,
  ModelPriceBody,
  ModelPriceItem,
  UserCreateBody,
  UserItem,
  UserUpdateBody,
} from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'

const id = (value: string) => encodeURIComponent(value)

/**
 * The admin's calls on users, groups, model prices and budgets, and the
 * edits and deletes of LLMs and apps. Every update and delete sends the
 * version the admin read (If-Match), so a change made meanwhile is a 412
 * rather than lost.
 */
export const directoryApi = {
  users: () => apiRequest<Page<UserItem>>('/users?limit=200'),
  user: (userId: string) => apiRequest<UserItem>(`/users/${id(userId)}`),
  createUser: (body: UserCreateBody) => apiRequest<UserItem>('/users', { method: 'POST', body }),
  updateUser: (userId: string, body: UserUpdateBody, version: number) => apiRequest<UserItem>(`/users/${id(userId)}`, { method: 'PATCH', body, ifMatch: version }),
  deleteUser: (userId: string, version: number) => apiRequest<void>(`/users/${id(userId)}`, { method: 'DELETE', ifMatch: version }),

  groups: () => apiRequest<Page<GroupItem>>('/groups?limit=200'),
  group: (groupId: string) => apiRequest<GroupItem>(`/groups/${id(groupId)}`),
  createGroup: (body: GroupCreateBody) => apiRequest<GroupItem>('/groups', { method: 'POST', body }),
  updateGroup: (groupId: string, body: GroupUpdateBody, version: number) => apiRequest<GroupItem>(`/groups/${id(groupId)}`, { method: 'PATCH', body, ifMatch: version }),
  setGroupMembers: (groupId: string, userIds: string[], version: number) => apiRequest<GroupItem>(`/groups/${id(groupId)}/members`, { method: 'PUT', body: { userIds }, ifMatch: version }),
  setGroupGrants: (groupId: string, body: GroupGrantsBody, version: number) => apiRequest<GroupItem>(`/groups/${id(groupId)}/grants`, { method: 'PUT', body, ifMatch: version }),
  deleteGroup: (groupId: string, version: number) => apiRequest<void>(`/groups/${id(groupId)}`, { method: 'DELETE', ifMatch: version }),

  prices: () => apiRequest<Page<ModelPriceItem>>('/model-prices?limit=200'),
  /** Creates the price (no version) or replaces the one at `version`. */
  setPrice: (model: string, body: ModelPriceBody, version: number | undefined) => apiRequest<ModelPriceItem>(`/model-prices/${id(model)}`, { method: 'PUT', body, ifMatch: version }),
  deletePrice: (model: string, version: number) => apiRequest<void>(`/model-prices/${id(model)}`, { method: 'DELETE', ifMatch: version }),

  budgets: () => apiRequest<Page<BudgetItem>>('/budgets?limit=200'),
  budget: (budgetId: string) => apiRequest<BudgetItem>(`/budgets/${id(budgetId)}`),
  createBudget: (body: BudgetCreateBody) => apiRequest<BudgetItem>('/budgets', { method: 'POST', body }),
  updateBudget: (budgetId: string, body: BudgetUpdateBody, version: number) => apiRequest<BudgetItem>(`/budgets/${id(budgetId)}`, { method: 'PATCH', body, ifMatch: version }),
  deleteBudget: (budgetId: string, version: number) => apiRequest<void>(`/budgets/${id(budgetId)}`, { method: 'DELETE', ifMatch: version }),

  updateLlm: (llmId: string, body: LlmUpdateBody, version: number) => apiRequest<LlmItem>(`/llms/${id(llmId)}`, { method: 'PATCH', body, ifMatch: version }),
  deleteLlm: (llmId: string, version: number) => apiRequest<void>(`/llms/${id(llmId)}`, { method: 'DELETE', ifMatch: version }),
  updateApp: (appId: string, body: AppUpdateBody, version: number) => apiRequest<AppItem>(`/apps/${id(appId)}`, { method: 'PATCH', body, ifMatch: version }),
  deleteApp: (appId: string, version: number) => apiRequest<void>(`/apps/${id(appId)}`, { method: 'DELETE', ifMatch: version }),
}
