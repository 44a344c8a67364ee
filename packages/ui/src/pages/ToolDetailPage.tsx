import { useState } from 'react'
import { Link, useLocation, useNavigate, useParams } from 'react-router'
import type { ToolOperationItem } from '@plugboard/studio/api-types'
import { toolsApi } from '../api/tools-api'
import { useApiData } from '../api/use-api-data'
import { ConfirmButton } from '../components/ConfirmButton'
import { ErrorMessage } from '../components/form-controls'
import { OperationTryForm } from '../tools/OperationTryForm'
import type { ImportedState } from './ToolImportPage'
import './admin-data.css'

const AUTH_LABELS = { none: 'none', bearer: 'Authorization: Bearer', header: 'header', query: 'query parameter' } as const

/** One operation: its method, path and summary, and a "Try" button that opens its form. */
function OperationCard(props: { toolSlug: string; operation: ToolOperationItem; index: number }) {
  const { operation } = props
  const [open, setOpen] = useState(false)
  return (
    <li className="card operation" aria-label={operation.id}>
      <header className="page-header">
        <h3>
          <code>
            {operation.method} {operation.path}
          </code>{' '}
          <span className="hint">{operation.id}</span>
        </h3>
        <button type="button" aria-expanded={open} aria-label={`Try ${operation.id}`} onClick={() => setOpen(!open)}>
          {open ? 'Close' : 'Try'}
        </button>
      </header>
      {operation.summary && <p>{operation.summary}</p>}
      {open && <OperationTryForm toolSlug={props.toolSlug} operation={operation} formId={`op${props.index}`} />}
    </li>
  )
}

/** A tool: where it calls, how it authenticates, its operations (each one can be tried), and deleting it. */
export default function ToolDetailPage() {
  const slug = useParams().toolSlug ?? ''
  const navigate = useNavigate()
  const imported = (useLocation().state as ImportedState | null)?.imported === true
  const { loaded } = useApiData(() => toolsApi.tool(slug), [slug])
  const back = (
    <p>
      <Link to="/tools">← Tools</Link>
    </p>
  )
  if (loaded.state === 'loading') return <p className="loading">Loading…</p>
  if (loaded.state === 'failed')
    return (
      <>
        {back}
        <ErrorMessage message={loaded.message} />
      </>
    )
  const tool = loaded.data
  return (
    <>
      {back}
      <header className="page-header">
        <h1>{tool.name}</h1>
        <ConfirmButton
          label="Delete"
          target={`tool ${tool.slug}`}
          busyLabel="Deleting…"
          onConfirm={async () => {
            await toolsApi.deleteTool(tool.slug)
            navigate('/tools')
          }}
        />
      </header>
      {imported && (
        <p className="notice" role="status">
          Imported: {tool.operations.length} {tool.operations.length === 1 ? 'operation' : 'operations'} found in the document.
        </p>
      )}
      {tool.description && <p className="description">{tool.description}</p>}
      <dl className="facts">
        <dt>Slug</dt>
        <dd>{tool.slug}</dd>
        <dt>Base URL</dt>
        <dd>
          <code>{tool.baseUrl}</code>
        </dd>
        <dt>Credential</dt>
        <dd>
          {AUTH_LABELS[tool.auth.type]}
          {tool.auth.name && ` ${tool.auth.name}`}
          {tool.credentialHint && `, ending in ${tool.credentialHint}`}
        </dd>
      </dl>
      <h2 className="section">Operations</h2>
      <ul className="operations">
        {tool.operations.map((operation, index) => (
          <OperationCard key={operation.id} toolSlug={tool.slug} operation={operation} index={index} />
        ))}
      </ul>
    </>
  )
}
