import { Link } from 'react-router'
import { schedulesApi } from '../api/schedules-api'
import { usePagedData } from '../api/use-paged-data'
import { ItemsTable } from '../components/ItemsTable'
import { LoadedView } from '../components/LoadedView'
import { Pager } from '../components/Pager'
import { RunStatus, when } from '../schedules/run-facts'
import './admin-data.css'

/** Every installed plugin's scheduled tasks, with when each runs next and how its last run went. */
export default function SchedulesPage() {
  const paged = usePagedData((cursor) => schedulesApi.schedules(cursor), [])
  return (
    <>
      <h1>Schedules</h1>
      <LoadedView loaded={paged.loaded}>
        {(schedules) => (
          <ItemsTable items={schedules.items} headers={['Schedule', 'Plugin', 'Cron', 'Enabled', 'Next run', 'Last run']} empty="No schedules: they come from installed plugins' manifests." label="Schedules">
            {(schedule) => (
              <tr key={schedule.id}>
                <td>
                  <Link to={`/schedules/${encodeURIComponent(schedule.id)}`}>{schedule.name}</Link>
                </td>
                <td>{schedule.plugin}</td>
                <td>
                  <code>{schedule.cron}</code> <span className="hint">{schedule.timezone}</span>
                </td>
                <td>{schedule.enabled ? 'yes' : 'no'}</td>
                <td>{when(schedule.nextRunAt)}</td>
                <td>{schedule.lastRun ? <RunStatus run={schedule.lastRun} /> : 'never'}</td>
              </tr>
            )}
          </ItemsTable>
        )}
      </LoadedView>
      <Pager paged={paged} label="Schedule pages" />
    </>
  )
}
