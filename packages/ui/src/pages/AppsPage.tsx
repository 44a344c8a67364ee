import { Link } from 'react-router'
import { ADMIN_APPS, type AppScope } from '../api/app-scope'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage } from '../components/form-controls'

/** The apps that call the gateway with their keys: every app for an admin, or the portal user's own. */
export default function AppsPage({ scope = ADMIN_APPS }: { scope?: AppScope }) {
  const { loaded } = useApiData(() => scope.api.apps(), [scope])
  return (
    <>
      <header className="page-header">
        <h1>{scope.title}</h1>
        <Link className="button primary" to={`${scope.home}/new`}>
          New app
        </Link>
      </header>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' &&
        (loaded.data.items.length === 0 ? (
          <p>No apps yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Slug</th>
                <th>Allowed LLMs</th>
                <th>Enabled</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.items.map((app) => (
                <tr key={app.id}>
                  <td>
                    <Link to={`${scope.home}/${encodeURIComponent(app.id)}`}>{app.name}</Link>
                  </td>
                  <td>{app.slug}</td>
                  <td>{app.allowedLlms.join(', ') || 'none'}</td>
                  <td>{app.enabled ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </>
  )
}
