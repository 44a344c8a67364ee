import type { PluginItem } from '@plugboard/studio/api-types'

/** The name the manifest gives a plugin, or the one it is installed under. */
export const displayName = (plugin: PluginItem): string => plugin.manifest?.name || plugin.name
