import { lazy, type ReactElement } from 'react'
import { Route } from 'react-router'

const LlmsPage = lazy(() => import('../pages/LlmsPage'))
const LlmCreatePage = lazy(() => import('../pages/LlmCreatePage'))
const AppsPage = lazy(() => import('../pages/AppsPage'))
const AppCreatePage = lazy(() => import('../pages/AppCreatePage'))
const AppDetailPage = lazy(() => import('../pages/AppDetailPage'))
const ChatPage = lazy(() => import('../pages/ChatPage'))
const ToolsPage = lazy(() => import('../pages/ToolsPage'))
const ToolImportPage = lazy(() => import('../pages/ToolImportPage'))
const ToolDetailPage = lazy(() => import('../pages/ToolDetailPage'))
const DatasourcesPage = lazy(() => import('../pages/DatasourcesPage'))
const DatasourceCreatePage = lazy(() => import('../pages/DatasourceCreatePage'))
const DatasourceDetailPage = lazy(() => import('../pages/DatasourceDetailPage'))
const SchedulesPage = lazy(() => import('../pages/SchedulesPage'))
const ScheduleDetailPage = lazy(() => import('../pages/ScheduleDetailPage'))

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
  {
    label: 'Tools',
    path: '/tools',
    routes: (
      <>
        <Route path="tools" element={<ToolsPage />} />
        <Route path="tools/new" element={<ToolImportPage />} />
        <Route path="tools/:toolSlug" element={<ToolDetailPage />} />
      </>
    ),
  },
  {
    label: 'Datasources',
    path: '/datasources',
    routes: (
      <>
        <Route path="datasources" element={<DatasourcesPage />} />
        <Route path="datasources/new" element={<DatasourceCreatePage />} />
        <Route path="datasources/:datasourceSlug" element={<DatasourceDetailPage />} />
      </>
    ),
  },
  {
    label: 'Schedules',
    path: '/schedules',
    routes: (
      <>
        <Route path="schedules" element={<SchedulesPage />} />
        <Route path="schedules/:scheduleId" element={<ScheduleDetailPage />} />
      </>
    ),
  },
  { label: 'Chat', path: '/chat', routes: <Route path="chat/:conversationId?" element={<ChatPage />} /> },
]
