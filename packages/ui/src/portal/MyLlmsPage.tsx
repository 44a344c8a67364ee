import { portalApi } from '../api/portal-api'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage } from '../components/form-controls'

/** The LLMs the signed-in user's groups are granted: what their apps may be allowed. */
export default function MyLlmsPage() {
  const { loaded } = useApiData(() => portalApi.llms(), [])
  return (
    <>
      <h1>My LLMs</h1>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' &&
        (loaded.data.items.length === 0 ? (
          <p>No LLMs are granted to your groups yet. Ask an admin for access.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Slug</th>
                <th>Name</th>
                <th>Models</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.items.map((llm) => (
                <tr key={llm.id}>
                  <td>{llm.slug}</td>
                  <td>{llm.name}</td>
                  <td>{llm.models.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </>
  )
}
