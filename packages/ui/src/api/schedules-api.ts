import type { ScheduleItem, ScheduleRunItem } from '@plugboard/studio/api-types'
import { apiRequest } from './client'
import type { Page } from './page'

const id = (value: string) => encodeURIComponent(value)
const pageQuery = (limit: number, cursor: string | undefined) => `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`

/** The schedule calls of the admin API: the schedules of every installed plugin, their runs, and running one now. */
export const schedulesApi = {
  schedules: (cursor: string | undefined) => apiRequest<Page<ScheduleItem>>(`/schedules?${pageQuery(50, cursor)}`),
  schedule: (scheduleId: string) => apiRequest<ScheduleItem>(`/schedules/${id(scheduleId)}`),
  /** Newest first. */
  runs: (scheduleId: string, cursor: string | undefined) => apiRequest<Page<ScheduleRunItem>>(`/schedules/${id(scheduleId)}/runs?${pageQuery(20, cursor)}`),
  /** Answers the run, which goes on; SCHEDULE_RUN_IN_PROGRESS (409) while another run of it is running. */
  runNow: (scheduleId: string) => apiRequest<ScheduleRunItem>(`/schedules/${id(scheduleId)}/run`, { method: 'POST' }),
  setEnabled: (scheduleId: string, enabled: boolean) => apiRequest<ScheduleItem>(`/schedules/${id(scheduleId)}`, { method: 'PATCH', body: { enabled } }),
}
