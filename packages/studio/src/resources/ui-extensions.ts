import { Type, type Static } from 'typebox'
import type { PluginManifest } from '@plugboard/host'
import type { StudioContext } from '../api/context.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { declarationsOf } from '../plugins/plugin-declarations.js'
import { uiSlotsOf } from '../plugins/plugin-ui-slots.js'

const Component = { title: Type.String(), element: Type.String({ description: 'The custom element tag.' }), moduleUrl: Type.String({ description: 'The ES module that defines it: /plugins/{name}/ui/{module}.' }) }

export const UiExtension = Type.Object({
  plugin: Type.Object({ id: Type.String(), name: Type.String({ description: 'The installed name: its assets are under /plugins/{name}/ui/, its routes under /x/{name}.' }), title: Type.String() }),
  sidebar: Type.Array(Type.Object({ title: Type.String(), path: Type.String() })),
  routes: Type.Array(Type.Object({ path: Type.String(), ...Component })),
  appTabs: Type.Array(Type.Object(Component)),
  llmTabs: Type.Array(Type.Object(Component)),
  settings: Type.Array(Type.Object(Component)),
  problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: "Manifest entries skipped, by JSON pointer in the manifest, and why." }),
})

/** One plugin's entries in the dashboard's slots, as the UI receives them. */
export type UiExtensionItem = Static<typeof UiExtension>

/** `GET /api/v1/ui/extensions`: what each enabled UI plugin adds to the dashboard, from its stored manifest. */
export function registerUiExtensionRoutes(app: Api, ctx: StudioContext): void {
  app.get(
    `${API_PREFIX}/ui/extensions`,
    {
      config: { access: 'admin' },
      schema: {
        tags: ['plugins'],
        summary: "Each enabled UI plugin's dashboard entries (sidebar, routes, app and LLM tabs, settings), checked: a bad entry is skipped and named in problems",
        response: { 200: Type.Object({ items: Type.Array(UiExtension) }), ...errorResponses(401, 403) },
      },
    },
    async () => {
      const rows = await ctx.db.selectFrom('plugins').select(['id', 'name', 'manifest']).where('enabled', '=', true).orderBy('name').execute()
      const items: UiExtensionItem[] = []
      for (const row of rows) {
        const manifest = row.manifest as (PluginManifest & { ui?: unknown; id?: unknown; name?: unknown }) | null
        if (!manifest?.ui || !declarationsOf(manifest).capabilities.includes('ui_provider')) continue
        const manifestId = typeof manifest.id === 'string' ? manifest.id : row.name
        const title = typeof manifest.name === 'string' && manifest.name ? manifest.name : row.name
        items.push({ plugin: { id: row.id, name: row.name, title }, ...uiSlotsOf(row.name, manifestId, manifest.ui) })
      }
      return { items }
    },
  )
}
