import { lazy, StrictMode, Suspense } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { pluginRoutes } from './plugins/plugin-routes'
import { RequireSession, SessionProvider } from './session/session'
import { Shell } from './shell/Shell'
import './styles.css'

// Each page is its own chunk: the first load fetches the shell and the page it shows.
const SignInPage = lazy(() => import('./pages/SignInPage'))
const LlmsPage = lazy(() => import('./pages/LlmsPage'))
const LlmCreatePage = lazy(() => import('./pages/LlmCreatePage'))
const AppsPage = lazy(() => import('./pages/AppsPage'))
const AppCreatePage = lazy(() => import('./pages/AppCreatePage'))
const AppDetailPage = lazy(() => import('./pages/AppDetailPage'))
const NotFoundPage = lazy(() => import('./pages/NotFoundPage'))

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route
              element={
                <RequireSession>
                  <Shell />
                </RequireSession>
              }
            >
              <Route index element={<Navigate to="/llms" replace />} />
              <Route path="llms" element={<LlmsPage />} />
              <Route path="llms/new" element={<LlmCreatePage />} />
              <Route path="apps" element={<AppsPage />} />
              <Route path="apps/new" element={<AppCreatePage />} />
              <Route path="apps/:appId" element={<AppDetailPage />} />
              {pluginRoutes}
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </Suspense>
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
)
