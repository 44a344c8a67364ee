import type { ScheduleRunItem } from '@plugboard/studio/api-types'

const STATUS_LABELS: Record<ScheduleRunItem['status'], string> = {
  pending: 'pending',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  timed_out: 'timed out',
  skipped: 'skipped (the previous run was still going)',
}

/** Whether the run may still change: the history is read again until it has ended. */
export function isUnderway(run: ScheduleRunItem): boolean {
  return run.status === 'pending' || run.status === 'running'
}

/** A timestamp in the browser's time zone, or a dash. */
export function when(timestamp: string | null): string {
  return timestamp ? new Date(timestamp).toLocaleString() : '—'
}

export function duration(ms: number | null): string {
  if (ms === null) return '—'
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** A run's status in words, marked (by class) when it failed. */
export function RunStatus(props: { run: ScheduleRunItem }) {
  return <span className={`status-${props.run.status}`}>{STATUS_LABELS[props.run.status]}</span>
}
