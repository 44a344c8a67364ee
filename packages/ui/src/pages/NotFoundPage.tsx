import { Link } from 'react-router'
import { useSession } from '../session/session'
import { homeOf } from '../session/sign-in-path'

/** Any path of the UI that is no page of it. */
export default function NotFoundPage() {
  const { user } = useSession()
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to={homeOf(user?.role ?? 'portal')}>Go to the start page</Link>.
      </p>
    </>
  )
}
