import type { PluginItem } from '@plugboard/studio/api-types'

/** The name the manifest gives a plugin, or the one it is installed under. */
export const displayName = (plugin: PluginItem): string => plugin.manifest?.name || plugin.name

/** The dashboard page of an installed plugin. */
export const pluginPath = (name: string): string => `/plugin/${encodeURIComponent(name)}`
