import type { AuditEntryItem, AuditQueryItem, LatencyAnswerItem, LatencyQueryItem, RequestLogItem, RequestLogQueryItem, UsageAnswerItem, UsageQueryItem } from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'
import { queryString } from './query-string'

/** The analytics and audit calls of the admin dashboard (`/analytics/…`, `/audit`), typed by Studio's route schemas. */
export const analyticsApi = {
  usage: (query: UsageQueryItem) => apiRequest<UsageAnswerItem>(`/analytics/usage${queryString(query)}`),
  latency: (query: LatencyQueryItem) => apiRequest<LatencyAnswerItem>(`/analytics/latency${queryString(query)}`),
  requests: (query: RequestLogQueryItem) => apiRequest<Page<RequestLogItem>>(`/analytics/requests${queryString(query)}`),
  audit: (query: AuditQueryItem) => apiRequest<Page<AuditEntryItem>>(`/audit${queryString(query)}`),
}
