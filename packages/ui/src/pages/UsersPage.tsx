import { Link } from 'react-router'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** The people who sign in: admins (this dashboard) and portal users (the portal, with what their groups grant). */
export default function UsersPage() {
  const { loaded } = useApiData(() => directoryApi.users(), [])
  return (
    <>
      <header className="page-header">
        <h1>Users</h1>
        <Link className="button primary" to="/users/new">
          New user
        </Link>
      </header>
      <LoadedView loaded={loaded}>
        {(users) => (
          <ItemsTable items={users.items} headers={['Email', 'Name', 'Role', 'Status', 'Password']} empty="No users yet." label="Users">
            {(user) => (
              <tr key={user.id}>
                <td>
                  <Link to={`/users/${encodeURIComponent(user.id)}`}>{user.email}</Link>
                </td>
                <td>{user.name}</td>
                <td>{user.role}</td>
                <td>{user.disabled ? 'disabled' : 'active'}</td>
                <td>{user.hasPassword ? 'set' : 'none'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
