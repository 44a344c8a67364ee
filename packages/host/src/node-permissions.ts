import { existsSync, readdirSync, readFileSync, realpathSync, type Dirent } from 'node:fs'
import { hostError } from './errors.js'
import { dirname, join, sep } from 'node:path'

export interface NodePermissionOptions {
  /** The plugin's name, for errors. */
  name: string
  /** The plugin's own directory: its package directory, or the directory of its script. */
  ownDir: string
  /** Its private socket directory, the only place it may write by default. */
  socketDir: string
  /** More paths the spec lets it read / write. */
  allowRead?: string[]
  allowWrite?: string[]
  /** The plugin's environment: its NODE_OPTIONS must not widen the model. */
  env?: Record<string, string>
}

/** Node 20 calls the permission model experimental; later versions name the flag `--permission`. */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission'

/**
 * Node command-line flags that run a plugin under Node's permission model: no
 * child processes, workers or native addons, reads only from its own
 * directory and the packages it depends on, writes only to its socket
 * directory (and what the spec adds). Throws PLUGIN_ISOLATION_INVALID when the
 * plugin's directory holds a symbolic link out of what it may read, or its
 * NODE_OPTIONS would widen the model. Binding and connecting Unix sockets is
 * not governed by the model in Node 20, so gRPC needs no grant.
 */
export function nodePermissionArgs(options: NodePermissionOptions): string[] {
  const read = new Set([options.ownDir, ...dependencyDirs(options.ownDir), ...(options.allowRead ?? []).flatMap(withWhatComesInside)])
  refuseLinksOut(options.name, options.ownDir, [...read])
  refuseWideningNodeOptions(options.name, options.env?.NODE_OPTIONS)
  const write = new Set([options.socketDir, ...(options.allowWrite ?? []).flatMap(withWhatComesInside)])
  return [
    PERMISSION_FLAG,
    '--disable-warning=ExperimentalWarning',
    ...[...read].map((path) => `--allow-fs-read=${path}`),
    ...[...write].map((path) => `--allow-fs-write=${path}`),
  ]
}

/**
 * A granted path and, when it does not exist yet, what will come inside it:
 * Node grants a missing path as that path alone, so a directory the plugin
 * makes there (file-analytics' output directory on a fresh machine) would
 * refuse every file written into it. An existing directory's grant already
 * covers its contents (and Node 20 aborts when given both an existing
 * directory and its `/*`): computed at each launch.
 */
function withWhatComesInside(path: string): string[] {
  return existsSync(path) ? [path] : [path, join(path, '*')]
}

/**
 * The directories module resolution reads for the plugin's dependencies: for
 * each package in the closure of `dependencies` (and, of the package.json
 * nearest the plugin, `devDependencies`: a checkout runs with them) both the
 * `node_modules/<name>` path where Node finds it and, when that is a symlink
 * (npm workspaces link `@plugboard/sdk` to `packages/sdk`), its real path —
 * Node's ESM loader checks each. Nothing else of `node_modules`, so a plugin
 * cannot read other plugins linked there.
 */
function dependencyDirs(ownDir: string): string[] {
  const root = nearestPackageDir(ownDir)
  if (!root) return []
  const dirs: string[] = []
  const visited = new Set<string>()
  const queue: Array<{ dir: string; withDev: boolean }> = [{ dir: root, withDev: true }]
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const name of dependencyNames(next.dir, next.withDev)) {
      const found = findPackage(next.dir, name)
      if (!found) continue // an optional or uninstalled dependency: Node will not find it either
      const real = realpathSync(found)
      dirs.push(found, real)
      if (!visited.has(real)) {
        visited.add(real)
        queue.push({ dir: real, withDev: false })
      }
    }
  }
  // Drop what another grant already covers.
  const unique = [...new Set(dirs)]
  return unique.filter((dir) => dir !== ownDir && ![ownDir, ...unique].some((other) => dir.startsWith(other + sep)))
}

/** An npm package name (`name` or `@scope/name`): never a path such as `../../etc`, which would grant reading any directory with a package.json. */
const PACKAGE_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i

function dependencyNames(packageDir: string, withDev: boolean): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
  const names = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies, ...(withDev ? pkg.devDependencies : {}) })
  return names.filter((name) => PACKAGE_NAME.test(name))
}

/** Where Node's resolution finds package `name` from `fromDir`: the first `node_modules/<name>` up the tree. */
function findPackage(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

function nearestPackageDir(fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * The permission model checks the path a plugin opens, then follows symbolic links anywhere: a
 * link shipped in the plugin's directory (`leak -> /etc/plugboard/plugboard.yaml`) would read what
 * no grant allows. So every link under `dir` must resolve inside `allowed`; the plugin cannot make
 * new ones at run time (the model refuses it).
 */
function refuseLinksOut(name: string, dir: string, allowed: string[]): void {
  const inside = (path: string) => allowed.some((grant) => path === grant || path.startsWith(grant + sep))
  const pending = [dir]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let entries: Dirent[]
    try {
      entries = readdirSync(next, { withFileTypes: true })
    } catch {
      continue // unreadable (another user's, removed meanwhile): nothing the plugin can follow either
    }
    for (const entry of entries) {
      const path = join(next, entry.name)
      if (entry.isDirectory()) pending.push(path)
      if (!entry.isSymbolicLink()) continue
      let target: string
      try {
        target = realpathSync(path)
      } catch {
        continue // dangling: it reaches nothing
      }
      if (!inside(target)) {
        throw hostError(
          'PLUGIN_ISOLATION_INVALID',
          `plugin "${name}": ${path} is a symbolic link to ${target}, outside what the plugin may read (Node's permission model would follow it); remove it, or add the target to allowRead`,
        )
      }
    }
  }
}

/**
 * Node reads permission flags from NODE_OPTIONS too: `--allow-fs-read=*` or `--allow-child-process`
 * in a plugin's `env` would silently undo the confinement. Grants go through allowRead / allowWrite.
 */
function refuseWideningNodeOptions(name: string, nodeOptions: string | undefined): void {
  // Node takes `_` for `-` in option names.
  const flags = (nodeOptions ?? '').toLowerCase().replaceAll('_', '-')
  if (!/--(?:allow-|permission|experimental-permission|no-experimental-permission)/.test(flags)) return
  throw hostError('PLUGIN_ISOLATION_INVALID', `plugin "${name}": its NODE_OPTIONS (${JSON.stringify(nodeOptions)}) would change Node's permission model; grant paths with allowRead / allowWrite, or set isolation: false`)
}
