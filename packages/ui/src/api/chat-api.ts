import type { ChatEvent, ChatTargetListItem, ConversationCreateBody, ConversationDetail, ConversationItem, StudioErrorBody } from '@plugboard/studio/api-types'
import { readSse } from '../chat/sse-events'
import { ApiError } from './api-error'
import { apiRequest, currentCsrfToken, sessionLost } from './client'

interface Page<T> {
  items: T[]
  nextCursor: string | null
}

const id = (value: string) => encodeURIComponent(value)

/** What `sendMessage` resolves with once the reply ended: the ids of both stored messages. */
export interface SentMessage {
  userMessageId: string
  messageId: string
}

/** The chat calls of the admin API (under /api/v1/chat). */
export const chatApi = {
  targets: () => apiRequest<{ items: ChatTargetListItem[] }>('/chat/targets'),
  conversations: () => apiRequest<Page<ConversationItem>>('/chat/conversations?limit=100'),
  conversation: (conversationId: string) => apiRequest<ConversationDetail>(`/chat/conversations/${id(conversationId)}`),
  createConversation: (body: ConversationCreateBody) => apiRequest<ConversationItem>('/chat/conversations', { method: 'POST', body }),
  deleteConversation: (conversationId: string) => apiRequest<void>(`/chat/conversations/${id(conversationId)}`, { method: 'DELETE' }),

  /**
   * Sends a message and reads the reply's server-sent events as they arrive,
   * each handed to `onEvent` at once. A refusal before the stream (409, 413,
   * 503, …) rejects with the API's ApiError; `signal` stops reading (Studio
   * then cancels the reply and keeps what arrived).
   */
  async sendMessage(conversationId: string, content: string, onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<SentMessage | undefined> {
    const headers: Record<string, string> = { accept: 'text/event-stream', 'content-type': 'application/json' }
    const csrf = currentCsrfToken()
    if (csrf) headers['x-csrf-token'] = csrf
    let response: Response
    try {
      response = await fetch(`/api/v1/chat/conversations/${id(conversationId)}/messages`, { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify({ content }), ...(signal && { signal }) })
    } catch (cause) {
      throw new ApiError('NETWORK_ERROR', `Studio could not be reached (${(cause as Error).message}); check that it is running and try again`, 0)
    }
    if (!response.ok || !response.body) {
      if (response.status === 401) sessionLost()
      const body = (await response.json().catch(() => undefined)) as Partial<StudioErrorBody> | undefined
      throw new ApiError(body?.error?.code ?? 'BAD_RESPONSE', body?.error?.message ?? `Studio answered ${response.status}`, response.status, body?.error?.details ?? [])
    }
    let sent: SentMessage | undefined
    await readSse(response.body, ({ event, data }) => {
      const parsed = JSON.parse(data) as Record<string, unknown>
      if (event === 'done') sent = parsed as unknown as SentMessage
      onEvent({ type: event, ...parsed } as ChatEvent)
    })
    return sent
  },
}
