import { Type } from 'typebox'
import { principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { notFound, StudioError } from '../errors.js'
import { callPluginRpc, MAX_RPC_BYTES, RpcMethod } from '../plugins/plugin-rpc.js'
import { portalPagesOf, seesPortalPage, uiPluginOf } from '../plugins/plugin-ui-slots.js'
import type { StudioPlugins } from '../plugins/studio-plugins.js'
import { groupNamesOf } from './groups.js'

const PortalRpcParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128, description: "The plugin's installed name (or id)." }), method: RpcMethod })

/**
 * `POST /api/v1/me/plugins/{name}/rpc/{method}`: portal RPC. The host reads
 * the caller's groups, allows only a method that a portal page this user sees
 * declares in its `rpc`, and hands the plugin the host-verified user and
 * groups (`HandlePortalRpc`); nothing of who calls comes from the body.
 */
export function registerPortalRpcRoutes(app: Api, ctx: StudioContext, plugins: StudioPlugins): void {
  app.post(
    `${API_PREFIX}/me/plugins/:name/rpc/:method`,
    {
      config: { access: 'user' },
      bodyLimit: MAX_RPC_BYTES,
      preValidation: async (request) => void (request.body ??= null),
      schema: {
        tags: ['auth'],
        summary: "Call a method of a plugin's portal RPC, declared by a portal page the signed-in user may see, with the host-verified user and their groups",
        params: PortalRpcParams,
        body: Type.Unknown({ description: 'The payload, any JSON (at most 256 KiB).' }),
        response: { 200: Type.Object({ result: Type.Unknown() }), ...errorResponses(401, 403, 404, 413, 502, 503) },
      },
    },
    async (request) => {
      const principal = principalOf(request)
      const { name, method } = request.params
      const row = await ctx.db
        .selectFrom('plugins')
        .select(['id', 'name', 'enabled', 'manifest'])
        .where((eb) => eb.or([eb('id', '=', name), eb('name', '=', name)]))
        .executeTakeFirst()
      if (!row) throw notFound('plugin', name)
      const half = row.enabled ? plugins.studioHalf(row.name) : undefined
      if (!half) throw new StudioError('PLUGIN_NOT_RUNNING', `plugin "${row.name}" has no Studio process running (${row.enabled ? 'it failed to start' : 'it is disabled'}); ask an admin`)
      const ui = uiPluginOf(row)
      const declaring = ui ? portalPagesOf(ui.plugin.name, ui.manifestId, ui.manifest.portal).pages.filter((page) => page.rpc.includes(method)) : []
      const groups = await groupNamesOf(ctx.db, principal.userId)
      if (declaring.length === 0) {
        throw new StudioError('RPC_METHOD_NOT_DECLARED', `plugin "${row.name}" has no portal page that declares the RPC method "${method}" (portal.pages[].rpc)`)
      }
      if (!declaring.some((page) => seesPortalPage(page, groups))) {
        throw new StudioError('PORTAL_GROUP_REQUIRED', `the portal pages of plugin "${row.name}" that call "${method}" are for members of other groups: ask an admin to add you to one`)
      }
      return { result: await callPluginRpc(half, { plugin: row.name, kind: 'handlePortalRpc', method, payload: request.body, principal, groups }) }
    },
  )
}
