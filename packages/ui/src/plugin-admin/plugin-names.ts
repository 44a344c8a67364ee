import type { PluginItem } from '@plugboard/studio/api-types'

/** The name the manifest gives a plugin, or the one it is installed under. */
export const displayName = (plugin: PluginItem): string => plugin.manifest?.name || plugin.name

/** The dashboard's page of the installed plugins, under the section's path (see admin-sections). */
export const PLUGINS_PATH = '/installed-plugins'

/** The dashboard page of an installed plugin. */
export const pluginPath = (name: string): string => `${PLUGINS_PATH}/${encodeURIComponent(name)}`
