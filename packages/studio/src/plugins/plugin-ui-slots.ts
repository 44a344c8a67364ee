import type { ErrorDetail } from '../errors.js'

/** A WebComponent the dashboard shows: its tag, the URL of the ES module defining it, a title. */
export interface UiComponentSlot {
  title: string
  element: string
  moduleUrl: string
}

/** What one plugin adds to the dashboard's slots, as `GET /api/v1/ui/extensions` answers it. */
export interface PluginUiSlots {
  sidebar: Array<{ title: string; path: string }>
  routes: Array<UiComponentSlot & { path: string }>
  appTabs: UiComponentSlot[]
  llmTabs: UiComponentSlot[]
  settings: UiComponentSlot[]
  /** The entries skipped, each by its JSON pointer in the manifest. */
  problems: ErrorDetail[]
}

/** A valid custom element name (ASCII letters of the spec's PCENChar): starts with a letter, holds a dash. */
const CUSTOM_ELEMENT = /^[a-z][a-z0-9._]*(?:-[a-z0-9._]*)+$/
/** An asset path of an ES module: relative, plain segments, no `.` or `..`. */
const MODULE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*\.m?js$/
/** A plugin's own route path, mounted under `/x/{name}`: `/` or lower-case segments. */
const ROUTE_PATH = /^\/(?:[a-z0-9-]+(?:\/[a-z0-9-]+)*)?$/
const MAX_ENTRIES = 20
const MAX_TITLE = 60

const COMPONENT_SLOTS = ['routes', 'appTabs', 'llmTabs', 'settings'] as const

/**
 * The dashboard slot entries of an installed plugin's manifest `ui`: each
 * entry checked (tag a custom element name prefixed by the manifest id and a
 * dash, module an asset path of the plugin, route paths its own), a bad one
 * skipped and named in `problems` — one careless entry hides nothing else.
 *
 * @param name the installed name: the assets are at `/plugins/{name}/ui/`, the routes under `/x/{name}`.
 * @param manifestId the manifest's `id`, which every tag must start with.
 */
export function uiSlotsOf(name: string, manifestId: string, ui: unknown): PluginUiSlots {
  const slots: PluginUiSlots = { sidebar: [], routes: [], appTabs: [], llmTabs: [], settings: [], problems: [] }
  if (ui === undefined || ui === null) return slots
  if (typeof ui !== 'object' || Array.isArray(ui)) {
    slots.problems.push({ path: '/ui', message: 'is not an object' })
    return slots
  }
  const fields = ui as Record<string, unknown>
  const mountPath = (path: string) => `/x/${name}${path === '/' ? '' : path}`
  const entriesOf = (slot: string): Array<[number, Record<string, unknown>]> => {
    const value = fields[slot]
    if (value === undefined) return []
    if (!Array.isArray(value)) {
      slots.problems.push({ path: `/ui/${slot}`, message: 'is not an array' })
      return []
    }
    if (value.length > MAX_ENTRIES) slots.problems.push({ path: `/ui/${slot}`, message: `has more than ${MAX_ENTRIES} entries; the rest are skipped` })
    const entries: Array<[number, Record<string, unknown>]> = []
    for (const [index, entry] of value.slice(0, MAX_ENTRIES).entries()) {
      if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) entries.push([index, entry as Record<string, unknown>])
      else slots.problems.push({ path: `/ui/${slot}/${index}`, message: 'is not an object' })
    }
    return entries
  }
  /** The first problem of an entry's field, or undefined when it is fine. */
  const problemOf = (field: string, value: unknown): string | undefined => {
    if (typeof value !== 'string') return 'is missing or not a string'
    if (field === 'title') return value.trim().length === 0 || value.length > MAX_TITLE ? `must be 1 to ${MAX_TITLE} characters` : undefined
    if (field === 'element') {
      if (!CUSTOM_ELEMENT.test(value)) return 'is not a valid custom element name (lower-case, starting with a letter, with a dash)'
      return value.startsWith(`${manifestId}-`) ? undefined : `must start with the plugin's id and a dash ("${manifestId}-")`
    }
    if (field === 'module') return MODULE_PATH.test(value) ? undefined : 'is not an asset path of an ES module (relative, plain segments, ending in .js or .mjs)'
    return ROUTE_PATH.test(value) ? undefined : 'is not a route path of the plugin ("/" or lower-case segments such as "/limits")'
  }
  /** The entry's fields when each is fine; otherwise its first problem is recorded. */
  const checked = (slot: string, index: number, entry: Record<string, unknown>, required: readonly string[]): Record<string, string> | undefined => {
    for (const field of required) {
      const problem = problemOf(field, entry[field])
      if (problem) {
        slots.problems.push({ path: `/ui/${slot}/${index}/${field}`, message: problem })
        return undefined
      }
    }
    return entry as Record<string, string>
  }

  for (const slot of COMPONENT_SLOTS) {
    const required = slot === 'routes' ? ['title', 'element', 'module', 'path'] : ['title', 'element', 'module']
    for (const [index, entry] of entriesOf(slot)) {
      const fine = checked(slot, index, entry, required)
      if (!fine) continue
      const component = { title: fine.title!, element: fine.element!, moduleUrl: `/plugins/${name}/ui/${fine.module}` }
      if (slot === 'routes') slots.routes.push({ ...component, path: mountPath(fine.path!) })
      else slots[slot].push(component)
    }
  }
  for (const [index, entry] of entriesOf('sidebar')) {
    const fine = checked('sidebar', index, entry, ['title', 'path'])
    if (!fine) continue
    const path = mountPath(fine.path!)
    if (slots.routes.some((route) => route.path === path)) slots.sidebar.push({ title: fine.title!, path })
    else slots.problems.push({ path: `/ui/sidebar/${index}/path`, message: `names no route of the plugin (its routes: ${slots.routes.map((route) => route.path).join(', ') || 'none'})` })
  }
  return slots
}
