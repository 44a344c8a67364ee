import type { PluginStatusItem } from '@plugboard/studio/api-types'

type Half = NonNullable<PluginStatusItem['runtimes']['studio']>

function HalfRow(props: { runtime: string; half: Half | null }) {
  const { half } = props
  return (
    <tr>
      <td>{props.runtime}</td>
      <td>{half ? half.state : 'not started'}</td>
      <td>{half?.pid ?? '—'}</td>
      <td>{half?.restarts ?? 0}</td>
      <td>{half?.version ?? '—'}</td>
    </tr>
  )
}

/** A plugin's state in each runtime it runs in (pid, restarts, version) and the last errors its processes had. */
export function PluginStatusView(props: { status: PluginStatusItem }) {
  const { status } = props
  const halves = (['studio', 'gateway'] as const).filter((runtime) => status.runtimes[runtime] !== undefined)
  return (
    <>
      <p>
        State: <strong className={`state state-${status.status}`}>{status.status}</strong>
      </p>
      {halves.length > 0 && (
        <table aria-label="Runtimes">
          <thead>
            <tr>
              <th>Runtime</th>
              <th>State</th>
              <th>PID</th>
              <th>Restarts</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {halves.map((runtime) => (
              <HalfRow key={runtime} runtime={runtime} half={status.runtimes[runtime] ?? null} />
            ))}
          </tbody>
        </table>
      )}
      <h3>Last errors</h3>
      {status.lastErrors.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul className="last-errors" aria-label="Last errors">
          {status.lastErrors.map((error, index) => (
            <li key={index}>
              <time dateTime={error.at}>{new Date(error.at).toLocaleString()}</time> <code>{error.runtime}</code> <code>{error.code}</code> {error.message}
            </li>
          ))}
        </ul>
      )}
    </>
  )
}
