/**
 * What a plugin's WebComponent gets from the dashboard. The dashboard imports
 * the component's ES module, creates its element and sets the context on it
 * (the `plugboard` property) before it is connected, so `connectedCallback`
 * can read it with {@link contextOf}.
 */

/** The signed-in user, as Studio verified it (the same user the plugin's RPC receives). */
export interface PluginUiUser {
  id: string
  email: string
  name: string
  role: 'admin' | 'portal'
  /** In the portal: the names of the user's groups, which its pages were chosen by and which portal RPC receives. Absent in the dashboard. */
  groups?: string[]
}

/** Where the component is shown: the admin dashboard (admin RPC) or the portal (portal RPC). */
export type PluginUiSurface = 'dashboard' | 'portal'

export type PluginUiTheme = 'light' | 'dark'

export interface PluginUiContext {
  /** The plugin as installed: `id` for its RPC, `name` in its paths (`/plugins/{name}/ui/…`, `/x/{name}`). */
  plugin: { id: string; name: string }
  surface: PluginUiSurface
  user: PluginUiUser
  theme: PluginUiTheme
  /** What the component is shown for: the app (its slug, the gateway's app id) of an app tab, the LLM (its slug) of an LLM tab; absent on a page or settings section. */
  target?: { kind: 'app' | 'llm'; id: string }
  /**
   * Calls a method of the plugin's RPC: in the dashboard its admin RPC
   * (declared in the manifest's `ui.rpc`), in the portal its portal RPC
   * (declared in a portal page's `rpc`, for a page the user may see). Answers
   * the method's `result`, or throws a {@link PluginUiError}.
   */
  rpc<T = unknown>(method: string, payload?: unknown): Promise<T>
}

/** The property of the element the dashboard sets the context on. */
export const CONTEXT_PROPERTY = 'plugboard'

/**
 * A failed call: `code` is the admin API's (`RPC_METHOD_NOT_DECLARED`,
 * `PORTAL_GROUP_REQUIRED`, `PLUGIN_RPC_FAILED`, `FORBIDDEN`, …) or one of this package's
 * (`NETWORK_ERROR`, `BAD_RESPONSE`, `UI_CONTEXT_MISSING`).
 */
export class PluginUiError extends Error {
  override readonly name = 'PluginUiError'
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The context the dashboard set on `element` (UI_CONTEXT_MISSING when there is none: the element was not created by the dashboard). */
export function contextOf(element: object): PluginUiContext {
  const context = (element as Record<string, unknown>)[CONTEXT_PROPERTY]
  if (typeof context !== 'object' || context === null) {
    throw new PluginUiError('UI_CONTEXT_MISSING', `this element has no Plugboard context (its "${CONTEXT_PROPERTY}" property): the dashboard sets it on the elements it creates, before connecting them`)
  }
  return context as PluginUiContext
}

export interface RpcOptions {
  /** The installed plugin's id (or name). */
  pluginId: string
  /** Which RPC: admin RPC for the dashboard (the default), portal RPC for the portal. */
  surface?: PluginUiSurface
  /** The session's CSRF token, read at each call (it changes when the user signs in again). */
  csrfToken: () => string | undefined
  /** Where the admin API is; default: this page's origin. */
  baseUrl?: string
  fetch?: typeof fetch
}

/**
 * `rpc` for a plugin's context: `POST /api/v1/plugins/{id}/rpc/{method}`
 * (dashboard) or `POST /api/v1/me/plugins/{id}/rpc/{method}` (portal), with
 * the session cookie and the CSRF header, answering the API's `result`.
 */
export function createRpc(options: RpcOptions): PluginUiContext['rpc'] {
  const send = options.fetch ?? fetch
  const base = `${options.baseUrl ?? ''}/api/v1${options.surface === 'portal' ? '/me' : ''}/plugins/${encodeURIComponent(options.pluginId)}/rpc/`
  return async function rpc<T>(method: string, payload: unknown = null): Promise<T> {
    const url = `${base}${encodeURIComponent(method)}`
    const csrf = options.csrfToken()
    let response: Response
    try {
      response = await send(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(csrf && { 'x-csrf-token': csrf }) },
        body: JSON.stringify(payload ?? null),
      })
    } catch (cause) {
      throw new PluginUiError('NETWORK_ERROR', `Studio could not be reached for ${method} (${(cause as Error).message}); check it is running and retry`, undefined, { cause })
    }
    let body: { result?: unknown; error?: { code?: unknown; message?: unknown } }
    try {
      body = (await response.json()) as typeof body
    } catch (cause) {
      throw new PluginUiError('BAD_RESPONSE', `Studio answered ${method} with ${response.status} and no JSON`, response.status, { cause })
    }
    if (!response.ok || body.error) {
      const code = typeof body.error?.code === 'string' ? body.error.code : 'BAD_RESPONSE'
      const message = typeof body.error?.message === 'string' ? body.error.message : `Studio answered ${method} with ${response.status}`
      throw new PluginUiError(code, message, response.status)
    }
    return body.result as T
  }
}
