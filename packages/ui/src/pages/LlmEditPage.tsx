import { Link, useNavigate, useParams } from 'react-router'
import { adminApi } from '../api/admin-api'
import { EditLoader } from '../components/EditLoader'
import { LlmForm } from '../forms/LlmForm'

/** Edits an LLM in the form that creates one. */
export default function LlmEditPage() {
  const slug = useParams().llmSlug ?? ''
  const navigate = useNavigate()
  return (
    <>
      <p>
        <Link to={`/llms/${encodeURIComponent(slug)}`}>← Back to the LLM</Link>
      </p>
      <h1>Edit LLM</h1>
      <EditLoader load={() => adminApi.llm(slug)} deps={[slug]}>
        {(llm, reload) => <LlmForm llm={llm} onSaved={(saved) => navigate(`/llms/${encodeURIComponent(saved.slug)}`)} onReload={reload} />}
      </EditLoader>
    </>
  )
}
