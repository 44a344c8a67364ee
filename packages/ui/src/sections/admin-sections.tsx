import { lazy, type ReactElement } from 'react'
import { Route } from 'react-router'
import { PLUGINS_PATH } from '../plugin-admin/plugin-names'

const LlmsPage = lazy(() => import('../pages/LlmsPage'))
const LlmCreatePage = lazy(() => import('../pages/LlmCreatePage'))
const AppsPage = lazy(() => import('../pages/AppsPage'))
const AppCreatePage = lazy(() => import('../pages/AppCreatePage'))
const AppDetailPage = lazy(() => import('../pages/AppDetailPage'))
const ChatPage = lazy(() => import('../pages/ChatPage'))
const PluginsPage = lazy(() => import('../pages/PluginsPage'))
const PluginDetailPage = lazy(() => import('../pages/PluginDetailPage'))

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
  { label: 'Chat', path: '/chat', routes: <Route path="chat/:conversationId?" element={<ChatPage />} /> },
]
