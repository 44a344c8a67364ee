import { Link, useNavigate, useParams } from 'react-router'
import { adminApi } from '../api/admin-api'
import { directoryApi } from '../api/directory-api'
import { useApiData } from '../api/use-api-data'
import { DeleteButton } from '../components/DeleteButton'
import { LoadedView } from '../components/LoadedView'
import { PluginTabs } from '../plugins/PluginTabs'

/** An LLM: what it is, editing and deleting it, and the tabs plugins add to it. */
export default function LlmDetailPage() {
  const slug = useParams().llmSlug ?? ''
  const navigate = useNavigate()
  const { loaded: llm, reload } = useApiData(() => adminApi.llm(slug), [slug])
  return (
    <>
      <p>
        <Link to="/llms">← LLMs</Link>
      </p>
      <LoadedView loaded={llm}>
        {(data) => (
          <>
            <header className="page-header">
              <h1>{data.name}</h1>
              <Link className="button" to={`/llms/${encodeURIComponent(data.slug)}/edit`}>
                Edit
              </Link>
            </header>
            <dl className="facts">
              <dt>Slug</dt>
              <dd>{data.slug}</dd>
              <dt>Description</dt>
              <dd>{data.description || '—'}</dd>
              <dt>Vendor</dt>
              <dd>{data.vendor}</dd>
              <dt>Models</dt>
              <dd>{data.models.join(', ')}</dd>
              <dt>Enabled</dt>
              <dd>{data.enabled ? 'yes' : 'no'}</dd>
            </dl>
            <div className="actions">
              <DeleteButton key={data.version} what="LLM" name={data.slug} remove={() => directoryApi.deleteLlm(data.id, data.version)} onDeleted={() => navigate('/llms')} onReload={reload} />
            </div>
            <PluginTabs slot="llmTabs" target={{ kind: 'llm', id: data.slug }} />
          </>
        )}
      </LoadedView>
    </>
  )
}
