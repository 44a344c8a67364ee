import { hostError } from './errors.js'
import type { DirOwner } from './socket-dir.js'

/**
 * How a `file://` plugin is confined. When the host runs as root the plugin
 * runs under its own unprivileged uid/gid; Node plugins also run under Node's
 * permission model. `false` turns both off (the plugin runs as the host's user).
 */
export interface PluginIsolation {
  /** The uid the plugin runs under (root hosts only); by default one derived from the plugin's name in `uidRange`. */
  uid?: number
  /** The plugin's gid; its uid by default. */
  gid?: number
  /** Where default uids come from: `first` to `first + count - 1` (100 000 and 50 000 by default). */
  uidRange?: { first: number; count: number }
}

/** What a launch actually gets. */
export interface ResolvedIsolation {
  /** The plugin's own uid/gid; absent when the host is not root (the plugin then shares the host's uid). */
  user?: DirOwner
  /** Whether a Node plugin runs under Node's permission model. */
  nodePermissions: boolean
}

const DEFAULT_UID_RANGE = { first: 100_000, count: 50_000 }

/** uid given to each plugin name in this process, so a restart keeps its uid and two plugins never share one. */
const assignedUids = new Map<string, number>()

/**
 * Resolves a spec's isolation for a launch of plugin `name`. Throws
 * PLUGIN_ISOLATION_INVALID for uid or gid 0, or an explicit uid the host
 * (not root) cannot switch to.
 */
export function resolveIsolation(name: string, option: PluginIsolation | false | undefined): ResolvedIsolation {
  if (option === false) return { nodePermissions: false }
  const hostUid = process.getuid?.()
  if (hostUid !== 0) {
    if (option?.uid !== undefined && option.uid !== hostUid) {
      throw hostError('PLUGIN_ISOLATION_INVALID', `plugin "${name}" asks for uid ${option.uid}, but only a host running as root can run plugins under another uid`)
    }
    return { nodePermissions: true }
  }
  const uid = option?.uid ?? defaultUid(name, option?.uidRange ?? DEFAULT_UID_RANGE)
  const gid = option?.gid ?? uid
  if (!isUnprivilegedId(uid) || !isUnprivilegedId(gid)) {
    throw hostError('PLUGIN_ISOLATION_INVALID', `plugin "${name}": uid ${uid} / gid ${gid} must be positive integers (never 0, root)`)
  }
  return { user: { uid, gid }, nodePermissions: true }
}

/**
 * The one decision on transport security for a launched plugin: AutoMTLS is
 * on unless the plugin runs under its own uid — then only it and the host can
 * reach its 0700 socket directory, and TLS on that Unix socket adds nothing but
 * cost — or the spec sets `autoMtls` explicitly. A plugin that answers on TCP
 * without TLS is refused by {@link requireTlsOnTcp}.
 */
export function usesAutoMtls(autoMtls: boolean | undefined, isolation: ResolvedIsolation): boolean {
  return autoMtls ?? isolation.user === undefined
}

/** mTLS stays on every TCP channel: a plugin offered none (isolated) that serves on TCP is refused, unless the spec turned mTLS off. */
export function requireTlsOnTcp(name: string, network: string, tls: boolean, autoMtls: boolean | undefined): void {
  if (network === 'unix' || tls || autoMtls === false) return
  throw hostError('PLUGIN_HANDSHAKE_INVALID', `plugin "${name}" serves on ${network} without TLS; only its private Unix socket may go without mTLS`)
}

function isUnprivilegedId(id: number): boolean {
  return Number.isInteger(id) && id > 0 && id < 2 ** 32 - 1
}

/** A stable uid from the plugin's name (FNV-1a), moved on to the next free one when another plugin of this host holds it. */
function defaultUid(name: string, range: { first: number; count: number }): number {
  const known = assignedUids.get(name)
  if (known !== undefined) return known
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  const taken = new Set(assignedUids.values())
  for (let i = 0; i < range.count; i++) {
    const uid = range.first + ((hash + i) % range.count)
    if (!taken.has(uid)) {
      assignedUids.set(name, uid)
      return uid
    }
  }
  throw hostError('PLUGIN_ISOLATION_INVALID', `no free uid left in ${range.first}..${range.first + range.count - 1} for plugin "${name}"; widen isolation.uidRange`)
}
