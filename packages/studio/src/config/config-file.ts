import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { interpolateValues, resolveSource } from '@plugboard/gateway'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { StudioError } from '../errors.js'
import type { StudioConfigDocument } from './config-document.js'

/**
 * Reads a gateway YAML file as a document to apply: `${VAR}` values from
 * `env`, plugin `file://` paths made absolute against the file's directory
 * (the document is applied elsewhere: in Studio).
 */
export async function readConfigFile(path: string, env: NodeJS.ProcessEnv): Promise<StudioConfigDocument> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new StudioError('CONFIG_APPLY_INVALID', `cannot read ${path}: ${(cause as Error).message}`, { cause })
  }
  return parseConfigText(text, { env, baseDir: dirname(resolve(path)) })
}

export function parseConfigText(text: string, options: { env: NodeJS.ProcessEnv; baseDir: string }): StudioConfigDocument {
  let document: StudioConfigDocument
  try {
    document = (interpolateValues(parseYaml(text) ?? {}, options.env) ?? {}) as StudioConfigDocument
  } catch (cause) {
    throw new StudioError('CONFIG_APPLY_INVALID', `the config is not valid: ${(cause as Error).message}`, { cause })
  }
  if (typeof document !== 'object' || Array.isArray(document)) throw new StudioError('CONFIG_APPLY_INVALID', 'the config must be a YAML mapping')
  if (Array.isArray(document.plugins)) {
    document.plugins = document.plugins.map((plugin) => (typeof plugin?.source === 'string' ? { ...plugin, source: resolveSource(plugin.source, options.baseDir) } : plugin))
  }
  return document
}

/** A document as the YAML `plugboard gateway --config` reads, with a header saying how it was made. */
export function configYaml(document: StudioConfigDocument, header: string[]): string {
  return `${header.map((line) => `# ${line}`).join('\n')}\n${stringifyYaml(document, { lineWidth: 0 })}`
}
