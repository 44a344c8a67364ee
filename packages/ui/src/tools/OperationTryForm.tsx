import type { ToolCallAnswer, ToolOperationItem } from '@plugboard/studio/api-types'
import { useState, type FormEvent } from 'react'
import { toolsApi } from '../api/tools-api'
import { ErrorMessage, Field, SubmitButton } from '../components/form-controls'
import { formErrorsOf, type FormErrors } from '../forms/field-errors'
import { answerText, parameterKey, takesJson, toolCallBody, tryFieldOf } from './tool-call-input'

type Outcome = { state: 'idle' } | { state: 'running' } | { state: 'answered'; answer: ToolCallAnswer } | { state: 'failed'; errors: FormErrors }

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
  const fields = outcome.state === 'failed' ? outcome.errors.fields : {}
  const inputs = [...operation.parameters.map(parameterKey), 'body']

  async function send(event: FormEvent) {
    event.preventDefault()
    setOutcome({ state: 'running' })
    try {
      const answer = await toolsApi.execute(props.toolSlug, operation.id, toolCallBody(operation, values, body))
      setOutcome({ state: 'answered', answer })
    } catch (error) {
      setOutcome({ state: 'failed', errors: formErrorsOf(error, inputs, tryFieldOf) })
    }
  }

  return (
    <form className="form wide" onSubmit={send} noValidate aria-label={`Try ${operation.id}`}>
      {operation.parameters.length === 0 && !operation.hasBody && <p className="hint">This operation takes no parameters.</p>}
      {operation.parameters.map((p, index) => (
        <Field
          key={parameterKey(p)}
          name={`${props.formId}-p${index}`}
          label={`${p.name} (${p.in}${p.required ? ', required' : ''})`}
          error={fields[parameterKey(p)]}
          {...(p.description ? { hint: p.description } : {})}
        >
          {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={values[parameterKey(p)] ?? ''} onChange={(e) => setValues((current) => ({ ...current, [parameterKey(p)]: e.target.value }))} />}
        </Field>
      ))}
      {operation.hasBody && (
        <Field
          name={`${props.formId}-body`}
          label={`Body (${operation.bodyContentType ?? 'application/json'}${operation.bodyRequired ? ', required' : ''})`}
          error={fields.body}
          hint={takesJson(operation) ? 'JSON.' : 'Sent as text.'}
        >
          {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} className="code" rows={6} spellCheck={false} value={body} onChange={(e) => setBody(e.target.value)} />}
        </Field>
      )}
      <SubmitButton busy={outcome.state === 'running'} busyLabel="Sending…">
        Send request
      </SubmitButton>
      {outcome.state === 'failed' && <ErrorMessage message={outcome.errors.message} />}
      {outcome.state === 'answered' && (
        <section className="tool-answer" aria-label={`Response of ${operation.id}`}>
          <p>
            Status <strong>{outcome.answer.status}</strong>
            {outcome.answer.headers['content-type'] && <span className="hint"> · {outcome.answer.headers['content-type']}</span>}
          </p>
          <pre>{answerText(outcome.answer.body)}</pre>
        </section>
      )}
    </form>
  )
}
