import type { UiExtensionItem } from '@plugboard/studio/api-types'
import { adminApi } from '../api/admin-api'
import { useApiData } from '../api/use-api-data'

/** One component slot entry of a plugin (a route, a tab, a settings section). */
export type PluginComponent = UiExtensionItem['routes'][number] | UiExtensionItem['appTabs'][number]

let loading: Promise<UiExtensionItem[]> | undefined

/** What the enabled UI plugins add to the dashboard: read once per page load (a newly enabled plugin shows after a reload). */
function loadPluginExtensions(): Promise<UiExtensionItem[]> {
  loading ??= adminApi.uiExtensions().then(
    (answer) => answer.items,
    (error: unknown) => {
      // A failed read is tried again by the next component that asks.
      loading = undefined
      throw error
    },
  )
  return loading
}

export function usePluginExtensions() {
  return useApiData(loadPluginExtensions, []).loaded
}
