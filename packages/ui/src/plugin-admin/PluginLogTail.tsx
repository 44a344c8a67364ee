import type { PluginLogLine } from '@plugboard/studio/api-types'

/** The last lines a plugin logged (oldest first), each with its time, runtime and level. */
export function PluginLogTail(props: { lines: readonly PluginLogLine[] }) {
  if (props.lines.length === 0) return <p>Nothing logged yet.</p>
  return (
    <pre className="log-tail" aria-label="Log tail">
      {props.lines.map((line) => `${line.at} ${line.runtime} ${line.level.toUpperCase()} ${line.message}${Object.keys(line.fields).length ? ` ${JSON.stringify(line.fields)}` : ''}`).join('\n')}
    </pre>
  )
}
