import type { PluginManifest } from '@plugboard/host'
import type { ErrorDetail } from '../errors.js'
import { declarationsOf } from './plugin-declarations.js'

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

/** A portal page as the portal shows it, and who may see it and which RPC methods it may call. */
export interface PortalPageSlot extends UiComponentSlot {
  /** Mounted under `/portal/x/{name}`. */
  path: string
  /** The names of the groups whose members see it; null: every signed-in user. */
  groups: string[] | null
  rpc: string[]
}

/** A plugin's portal pages, as checked from its manifest `portal`. */
export interface PluginPortalPages {
  pages: PortalPageSlot[]
  problems: ErrorDetail[]
}

/** A valid custom element name (ASCII letters of the spec's PCENChar): starts with a letter, holds a dash. */
const CUSTOM_ELEMENT = /^[a-z][a-z0-9._]*(?:-[a-z0-9._]*)+$/
/** An asset path of an ES module: relative, plain segments, no `.` or `..`. */
const MODULE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*\.m?js$/
/** A plugin's own route path, mounted under `/x/{name}` (`/portal/x/{name}` for portal pages): `/` or lower-case segments. */
const ROUTE_PATH = /^\/(?:[a-z0-9-]+(?:\/[a-z0-9-]+)*)?$/
/** The name of an admin or portal RPC method, as the RPC routes take it in their path. */
export const RPC_METHOD_PATTERN = '^[A-Za-z0-9_.-]{1,100}$'
const RPC_METHOD = new RegExp(RPC_METHOD_PATTERN)
const MAX_ENTRIES = 20
const MAX_TITLE = 60
/** A group's name is at most this long (the groups API's limit). */
const MAX_GROUP_NAME = 200
const MAX_LISTED = 50

const COMPONENT_SLOTS = ['routes', 'appTabs', 'llmTabs', 'settings'] as const

/**
 * Reads the entry arrays of one manifest section (`ui`, `portal`): each entry
 * checked field by field, the first problem of a bad one recorded (by its JSON
 * pointer) in `problems` and the entry skipped.
 */
function sectionReader(section: 'ui' | 'portal', fields: Record<string, unknown>, manifestId: string, problems: ErrorDetail[]) {
  const entriesOf = (slot: string): Array<[number, Record<string, unknown>]> => {
    const value = fields[slot]
    if (value === undefined) return []
    if (!Array.isArray(value)) {
      problems.push({ path: `/${section}/${slot}`, message: 'is not an array' })
      return []
    }
    if (value.length > MAX_ENTRIES) problems.push({ path: `/${section}/${slot}`, message: `has more than ${MAX_ENTRIES} entries; the rest are skipped` })
    const entries: Array<[number, Record<string, unknown>]> = []
    for (const [index, entry] of value.slice(0, MAX_ENTRIES).entries()) {
      if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) entries.push([index, entry as Record<string, unknown>])
      else problems.push({ path: `/${section}/${slot}/${index}`, message: 'is not an object' })
    }
    return entries
  }
  /** The first problem of an entry's string field, or undefined when it is fine. */
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
        problems.push({ path: `/${section}/${slot}/${index}/${field}`, message: problem })
        return undefined
      }
    }
    return entry as Record<string, string>
  }
  return { entriesOf, checked }
}

/** The fields of a manifest section, or undefined (a problem recorded when it is there but not an object). */
function sectionFields(section: 'ui' | 'portal', value: unknown, problems: ErrorDetail[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  problems.push({ path: `/${section}`, message: 'is not an object' })
  return undefined
}

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
  const fields = sectionFields('ui', ui, slots.problems)
  if (!fields) return slots
  const { entriesOf, checked } = sectionReader('ui', fields, manifestId, slots.problems)
  const mountPath = (path: string) => `/x/${name}${path === '/' ? '' : path}`

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

/** The problem of a page's optional list of names (`groups`, `rpc`), or undefined when it is fine. */
function listProblem(field: 'groups' | 'rpc', value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length > MAX_LISTED) return `must be an array of at most ${MAX_LISTED} names`
  if (field === 'groups') {
    if (value.length === 0) return 'lists no group, so nobody would see the page: name at least one group, or leave groups out to show it to every signed-in user'
    return value.every((group) => typeof group === 'string' && group.trim().length > 0 && group.length <= MAX_GROUP_NAME) ? undefined : `must hold group names (1 to ${MAX_GROUP_NAME} characters, as the group is named in Studio)`
  }
  return value.every((method) => typeof method === 'string' && RPC_METHOD.test(method)) ? undefined : 'must hold RPC method names (1 to 100 letters, digits, "_", "." or "-")'
}

/**
 * The portal pages of an installed plugin's manifest `portal`, checked as the
 * dashboard's routes are (title, tag, module, path), plus `groups` (names of
 * Studio groups, exactly as named: a member of any one sees the page) and
 * `rpc` (the portal RPC methods the page calls); a bad page is skipped and
 * named in `problems`.
 *
 * @param name the installed name: the assets are at `/plugins/{name}/ui/`, the pages under `/portal/x/{name}`.
 * @param manifestId the manifest's `id`, which every tag must start with.
 */
export function portalPagesOf(name: string, manifestId: string, portal: unknown): PluginPortalPages {
  const found: PluginPortalPages = { pages: [], problems: [] }
  const fields = sectionFields('portal', portal, found.problems)
  if (!fields) return found
  const { entriesOf, checked } = sectionReader('portal', fields, manifestId, found.problems)
  for (const [index, entry] of entriesOf('pages')) {
    const fine = checked('pages', index, entry, ['title', 'element', 'module', 'path'])
    if (!fine) continue
    const listed = (['groups', 'rpc'] as const).find((field) => listProblem(field, entry[field]) !== undefined)
    if (listed) {
      found.problems.push({ path: `/portal/pages/${index}/${listed}`, message: listProblem(listed, entry[listed])! })
      continue
    }
    const path = `/portal/x/${name}${fine.path === '/' ? '' : fine.path}`
    if (found.pages.some((page) => page.path === path)) {
      found.problems.push({ path: `/portal/pages/${index}/path`, message: `another page of the plugin already has the path ${fine.path}` })
      continue
    }
    const groups = entry.groups as string[] | undefined
    found.pages.push({
      path,
      title: fine.title!,
      element: fine.element!,
      moduleUrl: `/plugins/${name}/ui/${fine.module}`,
      groups: groups ? [...new Set(groups)] : null,
      rpc: [...new Set((entry.rpc as string[] | undefined) ?? [])],
    })
  }
  return found
}

/** Whether a member of the groups named `memberOf` sees `page`. */
export function seesPortalPage(page: Pick<PortalPageSlot, 'groups'>, memberOf: readonly string[]): boolean {
  return page.groups === null || page.groups.some((group) => memberOf.includes(group))
}

/** An installed plugin that provides a UI, as the slots name it. */
export interface UiPlugin {
  plugin: { id: string; name: string; title: string }
  /** The manifest's `id`, which every tag must start with. */
  manifestId: string
  manifest: PluginManifest
}

/**
 * The plugin of `row` when it provides a UI (serves assets: the UI provider
 * capability) and is enabled; undefined otherwise. Its title is the
 * manifest's name, else the installed name.
 */
export function uiPluginOf(row: { id: string; name: string; enabled: boolean; manifest: unknown }): UiPlugin | undefined {
  const manifest = row.manifest as PluginManifest | null
  if (!row.enabled || !manifest || !declarationsOf(manifest).capabilities.includes('ui_provider')) return undefined
  const title = typeof manifest.name === 'string' && manifest.name ? manifest.name : row.name
  return { plugin: { id: row.id, name: row.name, title }, manifestId: typeof manifest.id === 'string' ? manifest.id : row.name, manifest }
}

/** The portal pages of `ui` a member of the groups named `memberOf` sees. */
export function visiblePortalPages(ui: UiPlugin, memberOf: readonly string[]): PortalPageSlot[] {
  return portalPagesOf(ui.plugin.name, ui.manifestId, ui.manifest.portal).pages.filter((page) => seesPortalPage(page, memberOf))
}
