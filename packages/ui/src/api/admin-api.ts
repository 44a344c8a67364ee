import type { AppCreateBody, LlmCreateBody, LlmItem, LoginAnswer, MeItem, UiExtensionItem } from '@plugboard/studio/api-types'
import { appCalls } from './app-calls'
import { apiRequest, rememberCsrfToken } from './client'
import type { Page } from './page'

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
  ...appCalls<AppCreateBody>('/apps'),
  uiExtensions: () => apiRequest<{ items: UiExtensionItem[] }>('/ui/extensions'),
}
