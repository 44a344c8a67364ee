import type { ErrorDetail } from '@plugboard/studio/api-types'
import { useState, type FormEvent } from 'react'
import type { Loaded } from '../api/use-api-data'
import { formErrorsOf } from '../forms/field-errors'
import { Field } from './form-controls'

/** One filter of a list or chart: typed text, a choice, or a time (the browser's local time). */
export type FilterField<N extends string> = { name: N; label: string } & ({ kind: 'text'; placeholder?: string } | { kind: 'choice'; options: ReadonlyArray<{ value: string; label: string }> } | { kind: 'time' })

/** The filters' values as typed: '' is "any". Times are the `datetime-local` value; {@link isoTime} turns one into the API's. */
export type FilterValues<N extends string> = Record<N, string>

/** A `datetime-local` value (the browser's time zone) as RFC 3339 UTC; undefined when empty, and the raw text when it is no time, so the API's message says what is wrong. */
export function isoTime(value: string): string | undefined {
  if (!value) return undefined
  const time = new Date(value)
  return Number.isNaN(time.getTime()) ? value : time.toISOString()
}

/** `query/status` → `status`: the filter a refused query parameter is. */
const queryParameter = (detail: ErrorDetail) => detail.path.replace(/^query\//, '')

/**
 * A row of filters applied together by "Apply" (not on each key press, which
 * would send a query per letter); `applied` are the values in force. When
 * the API refused them (`loaded` failed), each of its details shows under
 * the filter it names.
 */
export function FilterForm<N extends string>(props: { fields: ReadonlyArray<FilterField<N>>; applied: FilterValues<N>; onApply: (values: FilterValues<N>) => void; label: string; loaded: Loaded<unknown> }) {
  const [draft, setDraft] = useState(props.applied)
  const refused = props.loaded.state === 'failed' ? formErrorsOf(props.loaded.error, props.fields.map((field) => field.name), queryParameter).fields : {}
  const submit = (event: FormEvent) => {
    event.preventDefault()
    props.onApply(draft)
  }
  return (
    <form className="filters card" aria-label={props.label} onSubmit={submit} noValidate>
      {props.fields.map((field) => (
        <Field key={field.name} label={field.label} name={`filter-${field.name}`} error={refused[field.name]}>
          {(id, describedBy) => {
            const common = { id, 'aria-describedby': describedBy, value: draft[field.name], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [field.name]: e.target.value }) }
            if (field.kind === 'choice')
              return (
                <select {...common}>
                  {field.options.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </select>
              )
            return <input {...common} type={field.kind === 'time' ? 'datetime-local' : 'text'} {...(field.kind === 'text' && { placeholder: field.placeholder })} />
          }}
        </Field>
      ))}
      <button type="submit" className="primary">
        Apply
      </button>
    </form>
  )
}
