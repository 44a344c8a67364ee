import { useNavigate } from 'react-router'
import { LlmForm } from '../forms/LlmForm'

/** Adds an LLM; a mock LLM needs no upstream, the others a base URL (optional) and a key. */
export default function LlmCreatePage() {
  const navigate = useNavigate()
  return (
    <>
      <h1>New LLM</h1>
      <LlmForm onSaved={() => navigate('/llms')} />
    </>
  )
}
