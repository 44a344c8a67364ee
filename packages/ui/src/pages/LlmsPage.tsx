import { Link } from 'react-router'
import { adminApi } from '../api/admin-api'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** The LLMs the gateway serves. */
export default function LlmsPage() {
  const { loaded } = useApiData(() => adminApi.llms(), [])
  return (
    <>
      <header className="page-header">
        <h1>LLMs</h1>
        <Link className="button primary" to="/llms/new">
          New LLM
        </Link>
      </header>
      <LoadedView loaded={loaded}>
        {(llms) => (
          <ItemsTable items={llms.items} headers={['Slug', 'Name', 'Vendor', 'Models', 'Enabled']} empty="No LLMs yet.">
            {(llm) => (
              <tr key={llm.id}>
                <td>
                  <Link to={`/llms/${encodeURIComponent(llm.slug)}`}>{llm.slug}</Link>
                </td>
                <td>{llm.name}</td>
                <td>{llm.vendor}</td>
                <td>{llm.models.join(', ')}</td>
                <td>{llm.enabled ? 'yes' : 'no'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
