import { lazy } from 'react'
import { Route } from 'react-router'

const PluginPage = lazy(() => import('../pages/PluginPage'))
const LlmDetailPage = lazy(() => import('../pages/LlmDetailPage'))
const SettingsPage = lazy(() => import('../pages/SettingsPage'))

/** The pages with plugin slots, as children of the shell's route: plugin pages under /x/{name}, an LLM's page, settings. */
export const pluginRoutes = (
  <>
    <Route path="x/:pluginName/*" element={<PluginPage />} />
    <Route path="llms/:llmSlug" element={<LlmDetailPage />} />
    <Route path="settings" element={<SettingsPage />} />
  </>
)
