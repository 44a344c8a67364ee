import type { FastifyReply, FastifyRequest } from 'fastify'
import { StudioError } from '../errors.js'
import type { Api } from '../api/server.js'
import type { UiBundle, UiFile } from './ui-bundle.js'

/**
 * The CSP of every UI page: the UI's own scripts and styles only, no inline
 * script or style, no plugins, no framing. Plugin UI loads as ES modules from
 * Studio's own paths (`/plugins/{name}/ui/…`), which this allows; whatever
 * inline script a plugin's component inserts does not run.
 */
export const UI_CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/** `/api` and below: the admin API's (any version), never the UI's. */
const API_PATH = /^\/api(?:\/|$)/

function send(reply: FastifyReply, file: UiFile) {
  reply.header('content-type', file.contentType)
  reply.header('x-content-type-options', 'nosniff')
  reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
  if (file.contentType.startsWith('text/html')) {
    reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
    reply.header('referrer-policy', 'same-origin')
  }
  return reply.send(file.body)
}

/** A browser navigating (not a script fetching data) asks for HTML first. */
function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html')
}

/**
 * Serves the browser UI on every GET that is not the admin API's: the built
 * files by their path, and index.html for the UI's own routes (`/apps/x`)
 * when a browser asks for a page. An unknown path under /api/ stays a JSON
 * ROUTE_NOT_FOUND, and so does any path asked for as data.
 */
export function registerUiRoutes(app: Api, bundle: UiBundle): void {
  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!
    if (API_PATH.test(path)) return reply.callNotFound()
    let decoded: string
    try {
      decoded = decodeURIComponent(path)
    } catch {
      return reply.callNotFound()
    }
    const file = bundle.files.get(decoded === '/' ? '/index.html' : decoded)
    if (file) return send(reply, file)
    if (decoded !== '/' && !wantsHtml(request)) return reply.callNotFound()
    if (!bundle.index) throw new StudioError('UI_NOT_BUILT', `the browser UI is not built (no index.html in ${bundle.dir || 'the @plugboard/ui package'}): run \`npm run build\` at the repository root, then start Studio again`)
    return send(reply, bundle.index)
  })
}
