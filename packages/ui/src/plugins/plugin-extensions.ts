import type { PortalExtensionsAnswer, UiExtensionItem } from '@plugboard/studio/api-types'
import { useSyncExternalStore } from 'react'
import { adminApi } from '../api/admin-api'
import { portalApi } from '../api/portal-api'
import { useApiData } from '../api/use-api-data'
import { useSession } from '../session/session'

/** One component slot entry of a plugin (a route, a tab, a settings section, a portal page). */
export type PluginComponent = Pick<UiExtensionItem['routes'][number], 'title' | 'element' | 'moduleUrl'>

/** A page a plugin adds at a path of its own: a dashboard route or a portal page. */
export type PluginPageComponent = UiExtensionItem['routes'][number]

/** How long a shown tab trusts what it read: after that, coming back to the tab reads again (a change made in another tab or by another admin). */
const STALE_AFTER_MS = 30_000

/**
 * `read`, asked once per signed-in user (another user signing in reads
 * their own) until `forget` says the plugins changed; a failed read is tried
 * again by the next component that asks.
 */
function readPerUser<T>(read: () => Promise<T>) {
  const reads = new Map<string, Promise<T>>()
  return {
    get(userId: string): Promise<T> {
      let reading = reads.get(userId)
      if (!reading) {
        reading = read()
        reads.set(userId, reading)
        reading.catch(() => reads.delete(userId))
      }
      return reading
    },
    forget: () => reads.clear(),
  }
}

const dashboardExtensions = readPerUser(() => adminApi.uiExtensions().then((answer) => answer.items))
const portalExtensions = readPerUser<PortalExtensionsAnswer>(() => portalApi.uiExtensions())

// The components that show extensions ask again when this changes.
let generation = 0
let generationAt = Date.now()
const listeners = new Set<() => void>()

/** The plugins changed (enabled, disabled, reloaded, uninstalled): the sidebar, routes and tabs read their entries again. */
export function rereadPluginExtensions() {
  dashboardExtensions.forget()
  portalExtensions.forget()
  generation++
  generationAt = Date.now()
  for (const listener of listeners) listener()
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && Date.now() - generationAt > STALE_AFTER_MS) rereadPluginExtensions()
})

function useGeneration() {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    () => generation,
  )
}

/** What the enabled UI plugins add to the dashboard. */
export function usePluginExtensions() {
  const userId = useSession().user?.id ?? ''
  return useApiData(() => dashboardExtensions.get(userId), [userId, useGeneration()]).loaded
}

/** The portal pages the signed-in user's groups let them see, and the names of those groups. */
export function usePortalExtensions() {
  const userId = useSession().user?.id ?? ''
  return useApiData(() => portalExtensions.get(userId), [userId, useGeneration()]).loaded
}
