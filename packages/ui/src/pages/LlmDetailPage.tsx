import { Link, useParams } from 'react-router'
import { adminApi } from '../api/admin-api'
import { useApiData } from '../api/use-api-data'
import { LoadedView } from '../components/LoadedView'
import { PluginTabs } from '../plugins/PluginTabs'

/** An LLM: what it is, and the tabs plugins add to it. */
export default function LlmDetailPage() {
  const slug = useParams().llmSlug ?? ''
  const { loaded: llm } = useApiData(() => adminApi.llm(slug), [slug])
  return (
    <>
      <p>
        <Link to="/llms">← LLMs</Link>
      </p>
      <LoadedView loaded={llm}>
        {(data) => (
          <>
            <h1>{data.name}</h1>
            <dl className="facts">
              <dt>Slug</dt>
              <dd>{data.slug}</dd>
              <dt>Vendor</dt>
              <dd>{data.vendor}</dd>
              <dt>Models</dt>
              <dd>{data.models.join(', ')}</dd>
              <dt>Enabled</dt>
              <dd>{data.enabled ? 'yes' : 'no'}</dd>
            </dl>
            <PluginTabs slot="llmTabs" target={{ kind: 'llm', id: data.slug }} />
          </>
        )}
      </LoadedView>
    </>
  )
}
