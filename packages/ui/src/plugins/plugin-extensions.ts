import type { PortalExtensionsAnswer, UiExtensionItem } from '@plugboard/studio/api-types'
import { adminApi } from '../api/admin-api'
import { portalApi } from '../api/portal-api'
import { useApiData } from '../api/use-api-data'
import { useSession } from '../session/session'

/** One component slot entry of a plugin (a route, a tab, a settings section, a portal page). */
export type PluginComponent = Pick<UiExtensionItem['routes'][number], 'title' | 'element' | 'moduleUrl'>

/** A page a plugin adds at a path of its own: a dashboard route or a portal page. */
export type PluginPageComponent = UiExtensionItem['routes'][number]

/**
 * `read`, asked once per page load and signed-in user (a newly enabled plugin
 * shows after a reload; another user signing in reads their own); a failed
 * read is tried again by the next component that asks.
 */
function readOncePerUser<T>(read: () => Promise<T>): (userId: string) => Promise<T> {
  const reads = new Map<string, Promise<T>>()
  return (userId) => {
    let reading = reads.get(userId)
    if (!reading) {
      reading = read()
      reads.set(userId, reading)
      reading.catch(() => reads.delete(userId))
    }
    return reading
  }
}

const dashboardExtensions = readOncePerUser(() => adminApi.uiExtensions().then((answer) => answer.items))
const portalExtensions = readOncePerUser<PortalExtensionsAnswer>(() => portalApi.uiExtensions())

/** What the enabled UI plugins add to the dashboard. */
export function usePluginExtensions() {
  const userId = useSession().user?.id ?? ''
  return useApiData(() => dashboardExtensions(userId), [userId]).loaded
}

/** The portal pages the signed-in user's groups let them see, and the names of those groups. */
export function usePortalExtensions() {
  const userId = useSession().user?.id ?? ''
  return useApiData(() => portalExtensions(userId), [userId]).loaded
}
