import { fileURLToPath } from 'node:url'
import { hostError } from './errors.js'

/** Where a plugin comes from. */
export type PluginSource =
  | { kind: 'file'; path: string }
  | { kind: 'grpc'; target: string; host: string; loopback: boolean }
  | { kind: 'oci'; reference: string }

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/

/**
 * Parses `file:///abs/path`, `grpc://host:port` (or `grpc://unix:/path`) and
 * `oci://registry/repo:tag`. Throws PLUGIN_SOURCE_INVALID with the reason.
 */
export function parsePluginSource(source: string): PluginSource {
  const scheme = /^([a-z]+):\/\//.exec(source)?.[1]
  if (scheme === 'file') {
    try {
      return { kind: 'file', path: fileURLToPath(source) }
    } catch (cause) {
      throw hostError('PLUGIN_SOURCE_INVALID', `"${source}" is not an absolute file:// URL (e.g. file:///opt/plugins/my-plugin)`, cause)
    }
  }
  if (scheme === 'grpc') {
    const rest = source.slice('grpc://'.length)
    if (rest.startsWith('unix:')) return { kind: 'grpc', target: rest, host: 'localhost', loopback: true }
    const match = /^(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(rest)
    if (!match) throw hostError('PLUGIN_SOURCE_INVALID', `"${source}" must be grpc://host:port or grpc://unix:/path/to.sock`)
    const host = match[1]!
    return { kind: 'grpc', target: `${host}:${match[2]}`, host, loopback: LOOPBACK.test(host) }
  }
  if (scheme === 'oci') return { kind: 'oci', reference: source.slice('oci://'.length) }
  throw hostError('PLUGIN_SOURCE_INVALID', `plugin source "${source}" must start with file://, grpc:// or oci://`)
}
