import type { ErrorSchema } from '@rjsf/utils'
import { ApiError } from '../api/api-error'

/** A problem with a config value: the path of the field it is about (`[]` for the whole config), and what is wrong. */
export interface ConfigProblem {
  path: readonly string[]
  message: string
}

/** `/greeting/0` (a JSON pointer, `~1` for `/` and `~0` for `~`) → `['greeting', '0']`. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return []
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** Sets an own property even for a key like `__proto__` (a config's keys are the plugin's and the admin's). */
function child(node: Record<string, unknown>, key: string): Record<string, unknown> {
  if (!Object.hasOwn(node, key)) Object.defineProperty(node, key, { value: {}, enumerable: true, writable: true, configurable: true })
  return node[key] as Record<string, unknown>
}

/** Problems as rjsf's error tree: each message in the `__errors` of the field its path names. */
export function errorSchemaOf(problems: readonly ConfigProblem[]): ErrorSchema {
  const root: Record<string, unknown> = {}
  for (const problem of problems) {
    const node = problem.path.reduce(child, root)
    node.__errors = [...((node.__errors as string[] | undefined) ?? []), problem.message]
  }
  return root as ErrorSchema
}

const CONFIG = '/config'

/**
 * Studio's answer to a config that does not fit the schema (PLUGIN_CONFIG_INVALID,
 * one detail per problem at `/config/…`) as rjsf's `extraErrors`: each message
 * under the field its pointer names, those about the whole config at the top.
 * Undefined when the error names no config field.
 */
export function configErrorsOf(error: unknown): ErrorSchema | undefined {
  if (!(error instanceof ApiError)) return undefined
  const details = error.details.filter((detail) => detail.path === CONFIG || detail.path.startsWith(`${CONFIG}/`))
  if (details.length === 0) return undefined
  return errorSchemaOf(details.map((detail) => ({ path: pointerSegments(detail.path.slice(CONFIG.length)), message: detail.message })))
}
