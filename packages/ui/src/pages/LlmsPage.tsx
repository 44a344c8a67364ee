import { Link } from 'react-router'
import { adminApi } from '../api/admin-api'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage } from '../components/form-controls'

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
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' &&
        (loaded.data.items.length === 0 ? (
          <p>No LLMs yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Slug</th>
                <th>Name</th>
                <th>Vendor</th>
                <th>Models</th>
                <th>Enabled</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.items.map((llm) => (
                <tr key={llm.id}>
                  <td>
                    <Link to={`/llms/${encodeURIComponent(llm.slug)}`}>{llm.slug}</Link>
                  </td>
                  <td>{llm.name}</td>
                  <td>{llm.vendor}</td>
                  <td>{llm.models.join(', ')}</td>
                  <td>{llm.enabled ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </>
  )
}
