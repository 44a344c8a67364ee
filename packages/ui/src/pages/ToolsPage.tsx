import { Link } from 'react-router'
import { toolsApi } from '../api/tools-api'
import { useApiData } from '../api/use-api-data'
import { ConfirmButton } from '../components/ConfirmButton'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** The tools: HTTP APIs imported from OpenAPI documents, which agents and plugins call. */
export default function ToolsPage() {
  const { loaded, reload } = useApiData(() => toolsApi.tools(), [])
  return (
    <>
      <header className="page-header">
        <h1>Tools</h1>
        <Link className="button primary" to="/tools/new">
          Import OpenAPI
        </Link>
      </header>
      <LoadedView loaded={loaded}>
        {(tools) => (
          <ItemsTable items={tools.items} headers={['Slug', 'Name', 'Description', 'Base URL', 'Operations', '']} empty="No tools yet." label="Tools">
            {(tool) => (
              <tr key={tool.id}>
                <td>
                  <Link to={`/tools/${encodeURIComponent(tool.slug)}`}>{tool.slug}</Link>
                </td>
                <td>{tool.name}</td>
                <td>{tool.description}</td>
                <td>
                  <code>{tool.baseUrl}</code>
                </td>
                <td>{tool.operations.length}</td>
                <td>
                  <ConfirmButton
                    label="Delete"
                    target={`tool ${tool.slug}`}
                    busyLabel="Deleting…"
                    onConfirm={async () => {
                      await toolsApi.deleteTool(tool.slug)
                      reload()
                    }}
                  />
                </td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
