import { Fragment, lazy, StrictMode, Suspense } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { MY_APPS } from './api/app-scope'
import { pluginRoutes } from './plugins/plugin-routes'
import { adminSections } from './sections/admin-sections'
import { PortalSections } from './portal/PortalSections'
import { AdminOnly, GoHome } from './session/role-routes'
import { RequireSession, SessionProvider } from './session/session'
import { Shell } from './shell/Shell'
import './styles.css'

// Each page is its own chunk: the first load fetches the shell and the page it shows.
const SignInPage = lazy(() => import('./pages/SignInPage'))
const AppsPage = lazy(() => import('./pages/AppsPage'))
const AppCreatePage = lazy(() => import('./pages/AppCreatePage'))
const AppDetailPage = lazy(() => import('./pages/AppDetailPage'))
const ChatPage = lazy(() => import('./pages/ChatPage'))
const NotFoundPage = lazy(() => import('./pages/NotFoundPage'))
const NotAllowedPage = lazy(() => import('./pages/NotAllowedPage'))
const MyLlmsPage = lazy(() => import('./portal/MyLlmsPage'))
const UsagePage = lazy(() => import('./portal/UsagePage'))
const PortalPluginPage = lazy(() => import('./portal/PortalPluginPage'))

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route
              index
              element={
                <RequireSession>
                  <GoHome />
                </RequireSession>
              }
            />
            <Route
              path="/portal"
              element={
                <RequireSession>
                  <Shell nav={<PortalSections />} />
                </RequireSession>
              }
            >
              <Route index element={<Navigate to="apps" replace />} />
              <Route path="apps" element={<AppsPage scope={MY_APPS} />} />
              <Route path="apps/new" element={<AppCreatePage scope={MY_APPS} />} />
              <Route path="apps/:appId" element={<AppDetailPage scope={MY_APPS} />} />
              <Route path="llms" element={<MyLlmsPage />} />
              <Route path="usage" element={<UsagePage />} />
              <Route path="chat/:conversationId?" element={<ChatPage base="/portal/chat" />} />
              <Route path="x/:pluginName/*" element={<PortalPluginPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
            <Route
              element={
                <RequireSession>
                  <AdminOnly refused={<NotAllowedPage />}>
                    <Shell />
                  </AdminOnly>
                </RequireSession>
              }
            >
              {adminSections.map((section) => (
                <Fragment key={section.path}>{section.routes}</Fragment>
              ))}
              {pluginRoutes}
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </Suspense>
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
)
