import { lazy, type ReactElement } from 'react'
import { Route } from 'react-router'
import { PLUGINS_PATH } from '../plugin-admin/plugin-names'

const LlmsPage = lazy(() => import('../pages/LlmsPage'))
const LlmCreatePage = lazy(() => import('../pages/LlmCreatePage'))
const LlmEditPage = lazy(() => import('../pages/LlmEditPage'))
const AppsPage = lazy(() => import('../pages/AppsPage'))
const AppCreatePage = lazy(() => import('../pages/AppCreatePage'))
const AppDetailPage = lazy(() => import('../pages/AppDetailPage'))
const AppEditPage = lazy(() => import('../pages/AppEditPage'))
const UsersPage = lazy(() => import('../pages/UsersPage'))
const UserCreatePage = lazy(() => import('../pages/UserCreatePage'))
const UserEditPage = lazy(() => import('../pages/UserEditPage'))
const GroupsPage = lazy(() => import('../pages/GroupsPage'))
const GroupCreatePage = lazy(() => import('../pages/GroupCreatePage'))
const GroupEditPage = lazy(() => import('../pages/GroupEditPage'))
const PricesPage = lazy(() => import('../pages/PricesPage'))
const BudgetsPage = lazy(() => import('../pages/BudgetsPage'))
const BudgetCreatePage = lazy(() => import('../pages/BudgetCreatePage'))
const BudgetEditPage = lazy(() => import('../pages/BudgetEditPage'))
const ChatPage = lazy(() => import('../pages/ChatPage'))
const PluginsPage = lazy(() => import('../pages/PluginsPage'))
const PluginDetailPage = lazy(() => import('../pages/PluginDetailPage'))
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
        <Route path="llms/:llmSlug/edit" element={<LlmEditPage />} />
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
        <Route path="apps/:appId/edit" element={<AppEditPage />} />
      </>
    ),
  },
  {
    label: 'Users',
    path: '/users',
    routes: (
      <>
        <Route path="users" element={<UsersPage />} />
        <Route path="users/new" element={<UserCreatePage />} />
        <Route path="users/:userId" element={<UserEditPage />} />
      </>
    ),
  },
  {
    label: 'Groups',
    path: '/groups',
    routes: (
      <>
        <Route path="groups" element={<GroupsPage />} />
        <Route path="groups/new" element={<GroupCreatePage />} />
        <Route path="groups/:groupId" element={<GroupEditPage />} />
      </>
    ),
  },
  { label: 'Prices', path: '/prices', routes: <Route path="prices" element={<PricesPage />} /> },
  {
    label: 'Budgets',
    path: '/budgets',
    routes: (
      <>
        <Route path="budgets" element={<BudgetsPage />} />
        <Route path="budgets/new" element={<BudgetCreatePage />} />
        <Route path="budgets/:budgetId" element={<BudgetEditPage />} />
      </>
    ),
  },
  {
    label: 'Plugins',
    // Not /plugins: on the shared port the gateway owns /plugins and /plugins/{name}/… (plugin endpoints), so those pages would not load by their URL.
    path: PLUGINS_PATH,
    routes: (
      <>
        <Route path={PLUGINS_PATH.slice(1)} element={<PluginsPage />} />
        <Route path={`${PLUGINS_PATH.slice(1)}/:pluginName`} element={<PluginDetailPage />} />
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
