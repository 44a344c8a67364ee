import type { Loaded } from '../api/use-api-data'
import { ErrorMessage } from './form-controls'

const toggled = (list: string[], item: string, on: boolean) => (on ? [...list, item] : list.filter((other) => other !== item))

/**
 * Ticks for choosing some of the loaded items (users, LLMs, groups): loading, the API's error, or a checkbox each.
 * A `stored` key no loaded item has (an object since deleted or renamed) is shown as "key (no longer exists)",
 * ticked while chosen, so the admin sees it and can untick it rather than send it again unseen.
 */
export function Choices<T>(props: {
  legend: string
  hint?: string
  loaded: Loaded<{ items: T[] }>
  keyOf: (item: T) => string
  labelOf: (item: T) => string
  chosen: string[]
  onChange: (chosen: string[]) => void
  none: string
  error: string | undefined
  stored?: readonly string[]
}) {
  const { loaded } = props
  const choices =
    loaded.state === 'ready'
      ? [
          ...loaded.data.items.map((item) => ({ key: props.keyOf(item), label: props.labelOf(item) })),
          ...(props.stored ?? []).filter((key) => !loaded.data.items.some((item) => props.keyOf(item) === key)).map((key) => ({ key, label: `${key} (no longer exists)` })),
        ]
      : []
  return (
    <fieldset className="field">
      <legend>{props.legend}</legend>
      {props.hint && <p className="hint">{props.hint}</p>}
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' && loaded.data.items.length === 0 && <p className="hint">{props.none}</p>}
      {choices.map((choice) => (
        <label key={choice.key} className="check">
          <input type="checkbox" checked={props.chosen.includes(choice.key)} onChange={(e) => props.onChange(toggled(props.chosen, choice.key, e.target.checked))} />
          {choice.label}
        </label>
      ))}
      {props.error && <p className="field-error">{props.error}</p>}
    </fieldset>
  )
}
