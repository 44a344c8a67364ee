import { Link } from 'react-router'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** Groups of users and what their members may use. */
export default function GroupsPage() {
  const { loaded } = useApiData(() => directoryApi.groups(), [])
  return (
    <>
      <header className="page-header">
        <h1>Groups</h1>
        <Link className="button primary" to="/groups/new">
          New group
        </Link>
      </header>
      <LoadedView loaded={loaded}>
        {(groups) => (
          <ItemsTable items={groups.items} headers={['Name', 'Description', 'Members', 'LLMs']} empty="No groups yet." label="Groups">
            {(group) => (
              <tr key={group.id}>
                <td>
                  <Link to={`/groups/${encodeURIComponent(group.id)}`}>{group.name}</Link>
                </td>
                <td>{group.description}</td>
                <td>{group.members.map((member) => member.email).join(', ') || 'none'}</td>
                <td>{group.grants.llms.join(', ') || 'none'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
