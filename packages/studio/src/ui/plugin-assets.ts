import { createHash } from 'node:crypto'
import { principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import type { Api } from '../api/server.js'
import { StudioError } from '../errors.js'
import { uiPluginOf, visiblePortalPages } from '../plugins/plugin-ui-slots.js'
import { groupNamesOf } from '../resources/groups.js'
import type { StudioPlugins } from '../plugins/studio-plugins.js'
import { UI_CONTENT_SECURITY_POLICY } from './ui-routes.js'

const ASSET_DEADLINE_MS = 10_000
/** The raw path of an asset request: the plugin's name and what follows `/ui/`, still %-encoded. */
const ASSET_URL = /^\/plugins\/([a-z0-9][a-z0-9-]{0,62})\/ui\/([^?#]*)/
/** What a raw path may not hold: a backslash, or a slash or backslash %-encoded (a second path hidden in a segment). */
const SMUGGLED_SEPARATOR = /\\|%2f|%5c/i
/** A file name carrying a content hash (`page-3f9a1c2b.js`): its content never changes, so it is cached for good. */
const HASHED_NAME = /[.-](?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/

/**
 * The content types a plugin may serve its UI in, by the type it names
 * (parameters aside), and what is sent for each: scripts always as
 * `text/javascript`, the one type browsers run as a module.
 */
const SERVED_TYPES: Record<string, string> = {
  'text/javascript': 'text/javascript; charset=utf-8',
  'application/javascript': 'text/javascript; charset=utf-8',
  'application/x-javascript': 'text/javascript; charset=utf-8',
  'text/css': 'text/css; charset=utf-8',
  'image/svg+xml': 'image/svg+xml',
  'application/json': 'application/json; charset=utf-8',
  'image/png': 'image/png',
  'font/woff2': 'font/woff2',
}

/** The plugin's asset path: the decoded segments of `raw`, each plain (PLUGIN_ASSET_PATH_INVALID otherwise). */
function assetPath(raw: string): string {
  const invalid = (why: string) => new StudioError('PLUGIN_ASSET_PATH_INVALID', `the plugin asset path "${raw.slice(0, 200)}" ${why}`)
  if (SMUGGLED_SEPARATOR.test(raw)) throw invalid('holds a backslash or an encoded slash')
  // Fastify has refused a malformed %-escape before the route runs.
  const segments = raw.split('/').map(decodeURIComponent)
  // eslint-disable-next-line no-control-regex
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || /[\u0000-\u001f\u007f]/.test(segment))) {
    throw invalid('has an empty, "." or ".." segment, or a control character')
  }
  return segments.join('/')
}

/**
 * `GET /plugins/{name}/ui/{path}`: an enabled UI plugin's asset, asked of the
 * plugin (`ServeAsset`) for a signed-in user: any asset for an admin; for a
 * portal user, the assets of a plugin with a portal page their groups let them
 * see (a page's module imports its siblings, so not only the page's module),
 * FORBIDDEN otherwise. A session is needed: module imports send the cookie
 * (same origin). Only the allow-listed content
 * types pass, each with `nosniff` and the UI's CSP (an SVG opened on its own
 * runs no script); revalidated by an ETag of the body, or cached for good when
 * the file name carries a hash. In `plugboard up` the gateway leaves these
 * paths to Studio.
 */
export function registerPluginAssetRoutes(app: Api, ctx: StudioContext, plugins: StudioPlugins): void {
  app.get('/plugins/:name/ui/*', { config: { access: 'user' }, schema: { hide: true } }, async (request, reply) => {
    const match = ASSET_URL.exec(request.url)
    if (!match) throw new StudioError('PLUGIN_ASSET_NOT_FOUND', `no plugin UI asset at ${request.url.slice(0, 200)}`)
    const [, name, raw] = match as unknown as [string, string, string]
    const path = assetPath(raw)
    const row = await ctx.db.selectFrom('plugins').select(['id', 'name', 'enabled', 'manifest']).where('name', '=', name).executeTakeFirst()
    const ui = row && uiPluginOf(row)
    const half = ui ? plugins.studioHalf(name) : undefined
    if (!ui || !half) throw new StudioError('PLUGIN_ASSET_NOT_FOUND', `no enabled plugin "${name}" provides a UI (installed, enabled, with a running Studio process)`)
    const principal = principalOf(request)
    if (principal.role !== 'admin' && visiblePortalPages(ui, await groupNamesOf(ctx.db, principal.userId)).length === 0) {
      throw new StudioError('FORBIDDEN', `plugin "${name}" has no portal page for you: its UI assets are for admins and for the users its portal pages are shown to`)
    }
    let asset: Awaited<ReturnType<typeof half.rpc<'serveAsset'>>>
    try {
      asset = await half.rpc('serveAsset', { path }, { deadlineMs: ASSET_DEADLINE_MS })
    } catch (error) {
      throw new StudioError('PLUGIN_ASSET_FAILED', `plugin "${name}" did not serve the UI asset ${path}: ${(error as Error).message}`, { cause: error })
    }
    if (asset.status === 404) throw new StudioError('PLUGIN_ASSET_NOT_FOUND', `plugin "${name}" serves no UI asset ${path}`)
    if (asset.status !== 200) throw new StudioError('PLUGIN_ASSET_FAILED', `plugin "${name}" answered the UI asset ${path} with status ${asset.status}`)
    const contentType = SERVED_TYPES[asset.contentType.split(';')[0]!.trim().toLowerCase()]
    if (!contentType) throw new StudioError('PLUGIN_ASSET_FAILED', `plugin "${name}" served ${path} as "${asset.contentType.slice(0, 100)}", which is not a UI asset type (JavaScript, CSS, SVG, JSON, PNG, WOFF2)`)
    const tag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 27)}"`
    reply.header('content-type', contentType)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
    // Behind the user's session: never kept by a shared cache.
    reply.header('cache-control', HASHED_NAME.test(path) ? 'private, max-age=31536000, immutable' : 'private, no-cache')
    reply.header('etag', tag)
    const known = request.headers['if-none-match']
    if (known && known.split(',').some((value) => value.trim().replace(/^W\//, '') === tag)) return reply.code(304).send()
    return reply.send(Buffer.from(asset.body))
  })
}
