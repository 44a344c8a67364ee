import { Link } from 'react-router'
import { datasourcesApi } from '../api/datasources-api'
import { useApiData } from '../api/use-api-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'

/** The datasources: documents indexed for search, which agents and plugins query. */
export default function DatasourcesPage() {
  const { loaded } = useApiData(() => datasourcesApi.datasources(), [])
  return (
    <>
      <header className="page-header">
        <h1>Datasources</h1>
        <Link className="button primary" to="/datasources/new">
          New datasource
        </Link>
      </header>
      <LoadedView loaded={loaded}>
        {(datasources) => (
          <ItemsTable items={datasources.items} headers={['Slug', 'Name', 'Description', 'Documents', 'Chunks']} empty="No datasources yet." label="Datasources">
            {(datasource) => (
              <tr key={datasource.id}>
                <td>
                  <Link to={`/datasources/${encodeURIComponent(datasource.slug)}`}>{datasource.slug}</Link>
                </td>
                <td>{datasource.name}</td>
                <td>{datasource.description}</td>
                <td>{datasource.documents}</td>
                <td>{datasource.chunks}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
    </>
  )
}
