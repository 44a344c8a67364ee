import { Suspense, useState, type ReactNode } from 'react'
import { NavLink, Outlet } from 'react-router'
import { adminSections } from '../sections/admin-sections'
import { PluginNav } from '../plugins/PluginNav'
import { useSession } from '../session/session'

/** The signed-in frame: the sidebar (the admin's sections and plugin sections, or `nav`'s; sign-out) beside the current page. */
export function Shell(props: { nav?: ReactNode }) {
  const { user, signOut } = useSession()
  const [signingOut, setSigningOut] = useState(false)
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Sections">
        <p className="brand">Plugboard</p>
        {props.nav ?? (
        <>
        <ul>
          {adminSections.map((section) => (
            <li key={section.path}>
              <NavLink to={section.path}>{section.label}</NavLink>
            </li>
          ))}
        </ul>
        <PluginNav />
        </>
        )}
        <div className="account">
          <p className="who">{user?.email}</p>
          <button
            type="button"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true)
              void signOut().finally(() => setSigningOut(false))
            }}
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </nav>
      <main className="page">
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  )
}
