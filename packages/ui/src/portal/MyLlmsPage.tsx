import { portalApi } from '../api/portal-api'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** The LLMs the signed-in user's groups are granted: what their apps may be allowed. */
export default function MyLlmsPage() {
  const { loaded } = useApiData(() => portalApi.llms(), [])
  return (
    <>
      <h1>My LLMs</h1>
      <LoadedView loaded={loaded}>
        {(llms) => (
          <ItemsTable items={llms.items} headers={['Slug', 'Name', 'Models']} empty="No LLMs are granted to your groups yet. Ask an admin for access.">
            {(llm) => (
              <tr key={llm.id}>
                <td>{llm.slug}</td>
                <td>{llm.name}</td>
                <td>{llm.models.join(', ')}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
