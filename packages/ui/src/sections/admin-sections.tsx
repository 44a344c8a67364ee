import { lazy, type ReactElement } from 'react'
import { Route } from 'react-router'

const LlmsPage = lazy(() => import('../pages/LlmsPage'))
const LlmCreatePage = lazy(() => import('../pages/LlmCreatePage'))
const AppsPage = lazy(() => import('../pages/AppsPage'))
const AppCreatePage = lazy(() => import('../pages/AppCreatePage'))
const AppDetailPage = lazy(() => import('../pages/AppDetailPage'))
const ChatPage = lazy(() => import('../pages/ChatPage'))
const AnalyticsPage = lazy(() => import('../pages/AnalyticsPage'))
const RequestLogPage = lazy(() => import('../pages/RequestLogPage'))
const AuditLogPage = lazy(() => import('../pages/AuditLogPage'))

/** One section of the admin dashboard: its sidebar entry and its routes (children of the shell's route). */
export interface AdminSection {
  label: string
  path: string
  routes: ReactElement
}

/**
 * The admin dashboard's sections in sidebar order. Each page is its own chunk
 * (`lazy`): the first load fetches the shell and the page it shows.
 */
export const adminSections: AdminSection[] = [
  {
    label: 'LLMs',
    path: '/llms',
    routes: (
      <>
        <Route path="llms" element={<LlmsPage />} />
        <Route path="llms/new" element={<LlmCreatePage />} />
      </>
    ),
  },
  {
    label: 'Apps',
    path: '/apps',
    routes: (
      <>
        <Route path="apps" element={<AppsPage />} />
        <Route path="apps/new" element={<AppCreatePage />} />
        <Route path="apps/:appId" element={<AppDetailPage />} />
      </>
    ),
  },
  { label: 'Chat', path: '/chat', routes: <Route path="chat/:conversationId?" element={<ChatPage />} /> },
  {
    label: 'Analytics',
    path: '/analytics',
    routes: (
      <>
        <Route path="analytics" element={<AnalyticsPage />} />
        <Route path="analytics/requests" element={<RequestLogPage />} />
      </>
    ),
  },
  { label: 'Audit log', path: '/audit', routes: <Route path="audit" element={<AuditLogPage />} /> },
]
