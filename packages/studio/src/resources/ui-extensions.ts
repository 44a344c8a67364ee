import { Type, type Static } from 'typebox'
import { principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { portalPagesOf, uiPluginOf, uiSlotsOf, visiblePortalPages } from '../plugins/plugin-ui-slots.js'
import { groupNamesOf } from './groups.js'

const Component = { title: Type.String(), element: Type.String({ description: 'The custom element tag.' }), moduleUrl: Type.String({ description: 'The ES module that defines it: /plugins/{name}/ui/{module}.' }) }

export const UiExtension = Type.Object({
  plugin: Type.Object({ id: Type.String(), name: Type.String({ description: 'The installed name: its assets are under /plugins/{name}/ui/, its routes under /x/{name}.' }), title: Type.String() }),
  sidebar: Type.Array(Type.Object({ title: Type.String(), path: Type.String() })),
  routes: Type.Array(Type.Object({ path: Type.String(), ...Component })),
  appTabs: Type.Array(Type.Object(Component)),
  llmTabs: Type.Array(Type.Object(Component)),
  settings: Type.Array(Type.Object(Component)),
  problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: 'Manifest entries skipped (of `ui` and of `portal`), by JSON pointer in the manifest, and why.' }),
})

/** One plugin's entries in the dashboard's slots, as the UI receives them. */
export type UiExtensionItem = Static<typeof UiExtension>

const PortalExtensions = Type.Object({
  groups: Type.Array(Type.String(), { description: "The names of the signed-in user's groups, which the pages were chosen by (and which their portal RPC receives)." }),
  items: Type.Array(
    Type.Object({
      plugin: UiExtension.properties.plugin,
      pages: Type.Array(Type.Object({ path: Type.String({ description: 'Where the portal shows it: /portal/x/{name}{path}.' }), ...Component })),
    }),
  ),
})

/** The portal pages the signed-in user may see, as the portal receives them. */
export type PortalExtensionsAnswer = Static<typeof PortalExtensions>

/**
 * `GET /api/v1/ui/extensions`: what each enabled UI plugin adds to the
 * dashboard, from its stored manifest; `GET /api/v1/me/ui/extensions`: the
 * portal pages the signed-in user's groups let them see.
 */
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
      const rows = await ctx.db.selectFrom('plugins').select(['id', 'name', 'enabled', 'manifest']).where('enabled', '=', true).orderBy('name').execute()
      const items: UiExtensionItem[] = []
      for (const row of rows) {
        const ui = uiPluginOf(row)
        if (!ui || (!ui.manifest.ui && !ui.manifest.portal)) continue
        const slots = uiSlotsOf(ui.plugin.name, ui.manifestId, ui.manifest.ui)
        // The portal's pages are shown to portal users, who see no problems: the admin sees them here.
        const portalProblems = portalPagesOf(ui.plugin.name, ui.manifestId, ui.manifest.portal).problems
        items.push({ plugin: ui.plugin, ...slots, problems: [...slots.problems, ...portalProblems] })
      }
      return { items }
    },
  )
  app.get(
    `${API_PREFIX}/me/ui/extensions`,
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: "The portal pages of the enabled plugins that the signed-in user may see: a page restricted to groups shows only to their members (admins included)",
        response: { 200: PortalExtensions, ...errorResponses(401) },
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const [rows, groups] = await Promise.all([
        ctx.db.selectFrom('plugins').select(['id', 'name', 'enabled', 'manifest']).where('enabled', '=', true).orderBy('name').execute(),
        groupNamesOf(ctx.db, principal.userId),
      ])
      const items: PortalExtensionsAnswer['items'] = []
      for (const row of rows) {
        const ui = uiPluginOf(row)
        const pages = ui ? visiblePortalPages(ui, groups) : []
        if (pages.length > 0) items.push({ plugin: ui!.plugin, pages: pages.map(({ path, title, element, moduleUrl }) => ({ path, title, element, moduleUrl })) })
      }
      return { groups, items }
    },
  )
}
