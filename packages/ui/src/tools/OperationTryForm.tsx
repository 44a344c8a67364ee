import type { ToolCallAnswer, ToolCallBody, ToolOperationItem } from '@plugboard/studio/api-types'
import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/api-error'
import { toolsApi } from '../api/tools-api'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'

type Parameter = ToolOperationItem['parameters'][number]
type Outcome = { state: 'idle' } | { state: 'running' } | { state: 'answered'; answer: ToolCallAnswer } | { state: 'failed'; message: string; fields: Record<string, string> }

const keyOf = (p: Pick<Parameter, 'in' | 'name'>) => `${p.in}:${p.name}`
const isJson = (contentType: string | null) => contentType === null || /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)

/** The body as the answer shows it: text as it came, JSON indented. */
function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2)
}

/** The call's input from the form: the filled-in parameters by where they go, and the body (parsed when the operation takes JSON). */
function callBody(operation: ToolOperationItem, values: Record<string, string>, bodyText: string): ToolCallBody {
  const parameters: Required<NonNullable<ToolCallBody['parameters']>> = { path: {}, query: {}, header: {} }
  for (const p of operation.parameters) {
    const value = values[keyOf(p)]
    if (value !== undefined && value !== '') parameters[p.in][p.name] = value
  }
  if (!operation.hasBody || bodyText.trim() === '') return { parameters }
  if (!isJson(operation.bodyContentType)) return { parameters, body: bodyText }
  try {
    return { parameters, body: JSON.parse(bodyText) as unknown }
  } catch (error) {
    throw new ApiError('VALIDATION_FAILED', `the body is not JSON: ${(error as Error).message}`, 0, [{ path: '/body', message: 'is not JSON' }])
  }
}

/** `/parameters/query/limit` → `query:limit`, `/body` → `body`: the input a detail of the API's error is about. */
function fieldErrors(error: unknown): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const detail of error instanceof ApiError ? error.details : []) {
    const [, first, location, ...name] = detail.path.split('/')
    const key = first === 'parameters' && location ? `${location}:${name.join('/')}` : (first ?? '')
    fields[key] = fields[key] ? `${fields[key]}; ${detail.message}` : detail.message
  }
  return fields
}

/**
 * Calls one operation of a tool through Studio (with the tool's credential,
 * which the browser never sees) and shows the tool server's answer: its
 * status, content type and body, as text.
 */
export function OperationTryForm(props: { toolSlug: string; operation: ToolOperationItem; formId: string }) {
  const { operation } = props
  const [values, setValues] = useState<Record<string, string>>({})
  const [body, setBody] = useState('')
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' })
  const fields = outcome.state === 'failed' ? outcome.fields : {}

  async function send(event: FormEvent) {
    event.preventDefault()
    setOutcome({ state: 'running' })
    try {
      const answer = await toolsApi.execute(props.toolSlug, operation.id, callBody(operation, values, body))
      setOutcome({ state: 'answered', answer })
    } catch (error) {
      setOutcome({ state: 'failed', message: (error as Error).message, fields: fieldErrors(error) })
    }
  }

  return (
    <form className="form wide" onSubmit={send} noValidate aria-label={`Try ${operation.id}`}>
      {operation.parameters.length === 0 && !operation.hasBody && <p className="hint">This operation takes no parameters.</p>}
      {operation.parameters.map((p, index) => (
        <Field
          key={keyOf(p)}
          name={`${props.formId}-p${index}`}
          label={`${p.name} (${p.in}${p.required ? ', required' : ''})`}
          error={fields[keyOf(p)]}
          {...(p.description ? { hint: p.description } : {})}
        >
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={values[keyOf(p)] ?? ''} onChange={(e) => setValues((current) => ({ ...current, [keyOf(p)]: e.target.value }))} />}
        </Field>
      ))}
      {operation.hasBody && (
        <Field
          name={`${props.formId}-body`}
          label={`Body (${operation.bodyContentType ?? 'application/json'}${operation.bodyRequired ? ', required' : ''})`}
          error={fields.body}
          hint={isJson(operation.bodyContentType) ? 'JSON.' : 'Sent as text.'}
        >
          {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} className="code" rows={6} spellCheck={false} value={body} onChange={(e) => setBody(e.target.value)} />}
        </Field>
      )}
      <SubmitButton busy={outcome.state === 'running'} busyLabel="Sending…">
        Send request
      </SubmitButton>
      {outcome.state === 'failed' && <ErrorMessage message={outcome.message} />}
      {outcome.state === 'answered' && (
        <section className="tool-answer" aria-label={`Response of ${operation.id}`}>
          <p>
            Status <strong>{outcome.answer.status}</strong>
            {outcome.answer.headers['content-type'] && <span className="hint"> · {outcome.answer.headers['content-type']}</span>}
          </p>
          <pre>{bodyText(outcome.answer.body)}</pre>
        </section>
      )}
    </form>
  )
}
