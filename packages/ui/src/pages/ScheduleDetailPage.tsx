import type { ScheduleItem } from '@plugboard/studio/api-types'
import { useEffect, useState } from 'react'
import { Link, useParams } from 'react-router'
import { schedulesApi } from '../api/schedules-api'
import { useApiData } from '../api/use-api-data'
import { usePagedData } from '../api/use-paged-data'
import { ErrorMessage } from '../components/form-controls'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { Pager } from '../components/Pager'
import { duration, isUnderway, RunStatus, when } from '../schedules/run-facts'
import './admin-data.css'

/** How often the page reads the history again while a run on it has not ended. */
const POLL_MS = 1000

type Action = { state: 'idle' } | { state: 'busy'; what: 'run' | 'toggle' } | { state: 'failed'; message: string }

/** A schedule: its cron and state, "Run now", enabling or disabling it, and its run history (newest first, paged). */
export default function ScheduleDetailPage() {
  const scheduleId = useParams().scheduleId ?? ''
  const { loaded: schedule, reload: reloadSchedule } = useApiData(() => schedulesApi.schedule(scheduleId), [scheduleId])
  const runs = usePagedData((cursor) => schedulesApi.runs(scheduleId, cursor), [scheduleId])
  const [action, setAction] = useState<Action>({ state: 'idle' })

  // Only on the first page, where a new run shows: polling reloads that page.
  const underway = runs.pageNumber === 1 && runs.loaded.state === 'ready' && runs.loaded.data.items.some(isUnderway)
  const { reloadFirst } = runs
  useEffect(() => {
    if (!underway) return
    const timer = setTimeout(() => {
      reloadFirst()
      reloadSchedule()
    }, POLL_MS)
    return () => clearTimeout(timer)
    // Each load of the history makes a new `runs.loaded`: the next poll follows it.
  }, [underway, runs.loaded])

  async function act(what: 'run' | 'toggle', call: () => Promise<unknown>) {
    setAction({ state: 'busy', what })
    try {
      await call()
      setAction({ state: 'idle' })
      reloadSchedule()
      reloadFirst()
    } catch (error) {
      setAction({ state: 'failed', message: (error as Error).message })
    }
  }

  const busy = action.state === 'busy'
  return (
    <>
      <p>
        <Link to="/schedules">← Schedules</Link>
      </p>
      <LoadedView loaded={schedule}>
        {(item: ScheduleItem) => (
          <>
            <header className="page-header">
              <h1>{item.name}</h1>
              <div className="actions">
                <button type="button" disabled={busy} onClick={() => void act('toggle', () => schedulesApi.setEnabled(item.id, !item.enabled))}>
                  {busy && action.what === 'toggle' ? 'Saving…' : item.enabled ? 'Disable' : 'Enable'}
                </button>
                <button type="button" className="primary" disabled={busy} onClick={() => void act('run', () => schedulesApi.runNow(item.id))}>
                  {busy && action.what === 'run' ? 'Starting…' : 'Run now'}
                </button>
              </div>
            </header>
            {action.state === 'failed' && <ErrorMessage message={action.message} />}
            <dl className="facts">
              <dt>Plugin</dt>
              <dd>{item.plugin}</dd>
              <dt>Id in its manifest</dt>
              <dd>
                <code>{item.scheduleId}</code>
              </dd>
              <dt>Cron</dt>
              <dd>
                <code>{item.cron}</code> ({item.timezone})
              </dd>
              <dt>Timeout</dt>
              <dd>{item.timeoutSeconds} s</dd>
              <dt>Retries</dt>
              <dd>{item.retries}</dd>
              <dt>Enabled</dt>
              <dd>{item.enabled ? 'yes' : 'no'}</dd>
              <dt>Next run</dt>
              <dd>{when(item.nextRunAt)}</dd>
            </dl>
          </>
        )}
      </LoadedView>
      {/* A schedule that could not be read has no history to show: its error is said once, above. */}
      {schedule.state === 'ready' && (
        <>
          <h2 className="section">Run history</h2>
          <LoadedView loaded={runs.loaded}>
            {({ items }) => (
              <ItemsTable items={items} headers={['Status', 'Trigger', 'Attempt', 'Started', 'Duration', 'Error']} empty="No runs yet." label="Run history">
                {(run) => (
                  <tr key={run.id}>
                    <td>
                      <RunStatus run={run} />
                    </td>
                    <td>{run.trigger}</td>
                    <td>{run.attempt}</td>
                    <td>{when(run.startedAt ?? run.scheduledAt)}</td>
                    <td>{duration(run.durationMs)}</td>
                    <td className="status-failed">{run.error ?? ''}</td>
                  </tr>
                )}
              </ItemsTable>
            )}
          </LoadedView>
          <Pager paged={runs} label="Run history pages" />
        </>
      )}
    </>
  )
}
