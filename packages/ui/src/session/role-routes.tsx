import type { ReactNode } from 'react'
import { Navigate } from 'react-router'
import { useSession } from './session'
import { homeOf } from './sign-in-path'

/** `/`: the signed-in user's home (inside RequireSession). */
export function GoHome() {
  const { user } = useSession()
  return <Navigate to={homeOf(user?.role ?? 'portal')} replace />
}

/**
 * Shows its children to an admin; any other signed-in user (a portal user
 * opening an admin URL) gets `refused`, a page that says so, instead of an
 * admin page whose every call would answer 403.
 */
export function AdminOnly(props: { children: ReactNode; refused: ReactNode }) {
  const { user } = useSession()
  return user?.role === 'admin' ? props.children : props.refused
}
