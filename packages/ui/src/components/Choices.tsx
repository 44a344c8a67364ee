import type { Loaded } from '../api/use-api-data'
import { ErrorMessage } from './form-controls'

const toggled = (list: string[], item: string, on: boolean) => (on ? [...list, item] : list.filter((other) => other !== item))

/** Ticks for choosing some of the loaded items (users, LLMs, groups): loading, the API's error, or a checkbox each. */
export function Choices<T>(props: { legend: string; loaded: Loaded<{ items: T[] }>; keyOf: (item: T) => string; labelOf: (item: T) => string; chosen: string[]; onChange: (chosen: string[]) => void; none: string; error: string | undefined }) {
  const { loaded } = props
  return (
    <fieldset className="field">
      <legend>{props.legend}</legend>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'ready' && loaded.data.items.length === 0 && <p className="hint">{props.none}</p>}
      {loaded.state === 'ready' &&
        loaded.data.items.map((item) => (
          <label key={props.keyOf(item)} className="check">
            <input type="checkbox" checked={props.chosen.includes(props.keyOf(item))} onChange={(e) => props.onChange(toggled(props.chosen, props.keyOf(item), e.target.checked))} />
            {props.labelOf(item)}
          </label>
        ))}
      {props.error && <p className="field-error">{props.error}</p>}
    </fieldset>
  )
}

