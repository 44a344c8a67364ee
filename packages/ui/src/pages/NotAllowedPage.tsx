import { Link, useLocation } from 'react-router'
import { useSession } from '../session/session'
import { homeOf } from '../session/sign-in-path'

/** An admin page opened by a portal user: what happened, and the way to their portal. */
export default function NotAllowedPage() {
  const { user } = useSession()
  const location = useLocation()
  return (
    <main className="sign-in">
      <section className="card" aria-labelledby="not-allowed">
        <h1 id="not-allowed">Not allowed</h1>
        <p>
          <code>{location.pathname}</code> is a page for admins, and {user?.email ?? 'you'} signed in as a portal user.
        </p>
        <p>
          <Link className="button primary" to={homeOf(user?.role ?? 'portal')}>
            Go to your portal
          </Link>
        </p>
      </section>
    </main>
  )
}
