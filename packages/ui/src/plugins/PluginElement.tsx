import { Component, useEffect, useRef, useState, type ReactNode } from 'react'
import type { UiExtensionItem } from '@plugboard/studio/api-types'
import { CONTEXT_PROPERTY, createRpc, type PluginUiContext } from '@plugboard/ui-sdk'
import { currentCsrfToken, sessionLost } from '../api/client'
import { useSession } from '../session/session'
import type { PluginComponent } from './plugin-extensions'

/** How long a plugin's module may take to load and define its element. */
const LOAD_TIMEOUT_MS = 10_000

type Plugin = UiExtensionItem['plugin']

/** Shown in the portal: the names of the user's groups, handed to the component (portal RPC gets them from Studio). */
export interface PortalSurface {
  groups: readonly string[]
}

/** Where a plugin's component failed, in place of it: the rest of the dashboard (or portal) is untouched. */
export function PluginErrorPanel(props: { plugin: Plugin; message: string; portal?: PortalSurface | undefined }) {
  return (
    <section className="card plugin-error" role="alert" aria-label={`${props.plugin.title} failed`}>
      <h2>The plugin “{props.plugin.title}” failed</h2>
      <p>{props.message}</p>
      <p className="hint">
        {props.portal
          ? `The rest of the portal keeps working. If this lasts, tell an admin (plugin ${props.plugin.name}).`
          : `The rest of the dashboard keeps working. See the plugin's status and logs (plugin ${props.plugin.name}).`}
      </p>
    </section>
  )
}

interface PluginElementProps {
  plugin: Plugin
  component: PluginComponent
  target?: PluginUiContext['target']
  /** Set in the portal: the component's `rpc` goes to portal RPC, its user carries the groups. */
  portal?: PortalSurface | undefined
}

/** Catches what a plugin's component breaks while React renders around it. */
class PluginErrorBoundary extends Component<{ plugin: Plugin; portal?: PortalSurface | undefined; children: ReactNode }, { failure?: string }> {
  override state: { failure?: string } = {}
  static getDerivedStateFromError(error: unknown) {
    return { failure: (error as Error)?.message ?? String(error) }
  }
  override render() {
    return this.state.failure === undefined ? this.props.children : <PluginErrorPanel plugin={this.props.plugin} message={this.state.failure} portal={this.props.portal} />
  }
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS)))
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Why a module did not load, with Studio's code when it answered one
 * (PLUGIN_ASSET_NOT_FOUND, …). A 401 is the session ended under the user:
 * the sign-in page, as for any other call, rather than a plugin's failure.
 */
async function loadFailure(url: string, error: unknown): Promise<Error> {
  const answer = await fetch(url, { credentials: 'same-origin' }).then(
    async (response) => {
      if (response.status === 401) sessionLost()
      return response.ok ? undefined : ((await response.json()) as { error?: { code?: string; message?: string } }).error
    },
    () => undefined,
  ).catch(() => undefined)
  const why = answer?.code ? `${answer.code}: ${answer.message ?? ''}` : (error as Error).message
  return new Error(`its module ${url} could not be loaded (${why})`, { cause: error })
}

/**
 * Creates the element and connects it under `parent`, the context set first.
 * An element that throws while it is constructed or connected has its error
 * reported (not thrown) by the browser: it is caught from the window's error
 * event, which fires before appending returns.
 */
function connect(tag: string, context: PluginUiContext, parent: HTMLElement): void {
  let thrown: unknown
  const capture = (event: ErrorEvent) => {
    thrown ??= event.error ?? new Error(event.message)
    event.preventDefault()
  }
  window.addEventListener('error', capture)
  try {
    const element = document.createElement(tag)
    Object.assign(element, { [CONTEXT_PROPERTY]: context })
    parent.replaceChildren(element)
  } finally {
    window.removeEventListener('error', capture)
  }
  if (thrown !== undefined) {
    parent.replaceChildren()
    throw new Error(`its element <${tag}> threw: ${(thrown as Error)?.message ?? String(thrown)}`, { cause: thrown })
  }
}

/**
 * Calls `report` with each error the plugin's own code throws later — in a
 * timer, an event handler, a promise nobody awaited — told apart from the
 * dashboard's and other plugins' by the script it came from (the plugin's
 * assets). Returns the function that stops listening.
 */
function watchLateErrors(pluginName: string, report: (message: string) => void): () => void {
  const assets = new URL(`/plugins/${pluginName}/ui/`, location.href).href
  const onError = (event: ErrorEvent) => {
    if (event.filename.startsWith(assets)) report((event.error as Error | undefined)?.message ?? event.message)
  }
  const onRejection = (event: PromiseRejectionEvent) => {
    const reason = event.reason as Error | undefined
    if (typeof reason?.stack === 'string' && reason.stack.includes(assets)) report(reason.message)
  }
  window.addEventListener('error', onError)
  window.addEventListener('unhandledrejection', onRejection)
  return () => {
    window.removeEventListener('error', onError)
    window.removeEventListener('unhandledrejection', onRejection)
  }
}

function PluginElementHost(props: PluginElementProps) {
  const { user } = useSession()
  const parent = useRef<HTMLDivElement>(null)
  const [state, setState] = useState<{ state: 'loading' } | { state: 'shown'; lateError?: string } | { state: 'failed'; message: string }>({ state: 'loading' })
  const { element: tag, moduleUrl } = props.component
  const { id: pluginId, name } = props.plugin
  const targetKey = props.target ? `${props.target.kind}:${props.target.id}` : ''
  const groups = props.portal?.groups
  // The groups are compared by their names: a new array of the same groups is the same surface.
  const surfaceKey = groups ? `portal:${JSON.stringify(groups)}` : 'dashboard'

  useEffect(() => {
    let current = true
    let unwatch = () => {}
    setState({ state: 'loading' })
    const surface = groups ? 'portal' : 'dashboard'
    const context: PluginUiContext = {
      plugin: { id: pluginId, name },
      surface,
      user: { id: user!.id, email: user!.email, name: user!.name, role: user!.role, ...(groups && { groups: [...groups] }) },
      theme: window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
      ...(props.target && { target: props.target }),
      rpc: createRpc({ pluginId, surface, csrfToken: currentCsrfToken }),
    }
    const show = async () => {
      try {
        await withTimeout(import(/* @vite-ignore */ moduleUrl), `its module ${moduleUrl} did not load`)
      } catch (error) {
        throw await loadFailure(moduleUrl, error)
      }
      await withTimeout(customElements.whenDefined(tag), `its module did not define <${tag}>`)
      if (!current || !parent.current) return
      connect(tag, context, parent.current)
      setState({ state: 'shown' })
      // The element stays: what it still shows may be of use, and the panel says it is broken.
      unwatch = watchLateErrors(name, (message) => current && setState({ state: 'shown', lateError: `it failed while shown: ${message}` }))
    }
    show().catch((error: Error) => current && setState({ state: 'failed', message: error.message }))
    const host = parent.current
    return () => {
      current = false
      unwatch()
      host?.replaceChildren()
    }
    // The target and the surface are compared by their keys: a new object for the same app is the same target.
  }, [pluginId, name, tag, moduleUrl, targetKey, surfaceKey, user])

  return (
    <>
      {state.state === 'loading' && <p className="loading">Loading {props.plugin.title}…</p>}
      {state.state === 'failed' && <PluginErrorPanel plugin={props.plugin} message={state.message} portal={props.portal} />}
      {state.state === 'shown' && state.lateError && <PluginErrorPanel plugin={props.plugin} message={state.lateError} portal={props.portal} />}
      <div className="plugin-element" ref={parent} hidden={state.state === 'failed'} />
    </>
  )
}

/**
 * A plugin's WebComponent: its module imported from the plugin's assets
 * (`/plugins/{name}/ui/…`, under the dashboard's CSP), its element created and
 * handed the context (`@plugboard/ui-sdk`). What fails — the module, the
 * element, a timeout — shows an error panel naming the plugin in its place;
 * an error its code throws later shows the panel above it.
 * The same in the dashboard and (with `portal`) in the portal.
 */
export function PluginElement(props: PluginElementProps) {
  return (
    <PluginErrorBoundary plugin={props.plugin} portal={props.portal}>
      <PluginElementHost {...props} />
    </PluginErrorBoundary>
  )
}
