import { useState, type FormEvent } from 'react'
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

/**
 * A row of filters applied together by "Apply" (not on each key press, which
 * would send a query per letter); `applied` are the values in force.
 */
export function FilterForm<N extends string>(props: { fields: ReadonlyArray<FilterField<N>>; applied: FilterValues<N>; onApply: (values: FilterValues<N>) => void; label: string }) {
  const [draft, setDraft] = useState(props.applied)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    props.onApply(draft)
  }
  return (
    <form className="filters card" aria-label={props.label} onSubmit={submit} noValidate>
      {props.fields.map((field) => (
        <Field key={field.name} label={field.label} name={`filter-${field.name}`}>
          {(id) => {
            const common = { id, value: draft[field.name], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [field.name]: e.target.value }) }
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
