import { Link } from 'react-router'
import { ADMIN_APPS, type AppScope } from '../api/app-scope'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

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
      <LoadedView loaded={loaded}>
        {(apps) => (
          <ItemsTable items={apps.items} headers={['Name', 'Slug', 'Allowed LLMs', 'Enabled']} empty="No apps yet.">
            {(app) => (
              <tr key={app.id}>
                <td>
                  <Link to={`${scope.home}/${encodeURIComponent(app.id)}`}>{app.name}</Link>
                </td>
                <td>{app.slug}</td>
                <td>{app.allowedLlms.join(', ') || 'none'}</td>
                <td>{app.enabled ? 'yes' : 'no'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
