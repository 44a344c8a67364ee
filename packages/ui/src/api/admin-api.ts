import type { AppCreateBody, AppItem, AppKeyItem, IssuedKeyItem, LlmCreateBody, LlmItem, LoginAnswer, MeItem, UiExtensionItem } from '@plugboard/studio/api-types'
import { apiRequest, rememberCsrfToken } from './client'

/** A list page of the admin API. */
interface Page<T> {
  items: T[]
  nextCursor: string | null
}

const id = (value: string) => encodeURIComponent(value)

/** The admin API calls the UI makes, typed by Studio's own route schemas. */
export const adminApi = {
  async signIn(email: string, password: string): Promise<MeItem> {
    const answer = await apiRequest<LoginAnswer>('/auth/login', { method: 'POST', body: { email, password }, authCall: true })
    rememberCsrfToken(answer.csrfToken)
    return answer.user
  },
  async signOut(): Promise<void> {
    try {
      await apiRequest<void>('/auth/logout', { method: 'POST', authCall: true })
    } finally {
      rememberCsrfToken(undefined)
    }
  },
  me: () => apiRequest<MeItem>('/me'),
  llms: () => apiRequest<Page<LlmItem>>('/llms?limit=200'),
  llm: (slug: string) => apiRequest<LlmItem>(`/llms/${id(slug)}`),
  createLlm: (body: LlmCreateBody) => apiRequest<LlmItem>('/llms', { method: 'POST', body }),
  apps: () => apiRequest<Page<AppItem>>('/apps?limit=200'),
  app: (appId: string) => apiRequest<AppItem>(`/apps/${id(appId)}`),
  createApp: (body: AppCreateBody) => apiRequest<AppItem>('/apps', { method: 'POST', body }),
  appKeys: (appId: string) => apiRequest<Page<AppKeyItem>>(`/apps/${id(appId)}/keys?limit=200`),
  issueKey: (appId: string) => apiRequest<IssuedKeyItem>(`/apps/${id(appId)}/keys`, { method: 'POST', body: {} }),
  uiExtensions: () => apiRequest<{ items: UiExtensionItem[] }>('/ui/extensions'),
  revokeKey: (appId: string, keyId: string) => apiRequest<void>(`/apps/${id(appId)}/keys/${id(keyId)}`, { method: 'DELETE' }),
}
