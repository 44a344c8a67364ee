import { Link, useParams } from 'react-router'
import { adminApi } from '../api/admin-api'
import { useApiData } from '../api/use-api-data'
import { ErrorMessage } from '../components/form-controls'
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
      {llm.state === 'loading' && <p className="loading">Loading…</p>}
      {llm.state === 'failed' && <ErrorMessage message={llm.message} />}
      {llm.state === 'ready' && (
        <>
          <h1>{llm.data.name}</h1>
          <dl className="facts">
            <dt>Slug</dt>
            <dd>{llm.data.slug}</dd>
            <dt>Vendor</dt>
            <dd>{llm.data.vendor}</dd>
            <dt>Models</dt>
            <dd>{llm.data.models.join(', ')}</dd>
            <dt>Enabled</dt>
            <dd>{llm.data.enabled ? 'yes' : 'no'}</dd>
          </dl>
          <PluginTabs slot="llmTabs" target={{ kind: 'llm', id: llm.data.slug }} />
        </>
      )}
    </>
  )
}
