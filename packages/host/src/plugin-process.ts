import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve, sep } from 'node:path'
import { PassThrough } from 'node:stream'
import {
  HANDSHAKE,
  PLUGIN_ENV,
  certDerToPem,
  generateTlsIdentity,
  isPlugboardError,
  parseHandshakeLine,
  type Handshake,
  type PlugboardError,
  type TlsIdentity,
} from '@plugboard/proto'
import { hostError } from './errors.js'
import { requireTlsOnTcp, resolveIsolation, usesAutoMtls, type PluginIsolation, type ResolvedIsolation } from './isolation.js'
import { forwardLines, type LogForwarderOptions } from './log-forwarder.js'
import type { HostLogger } from './logger.js'
import { nodePermissionArgs } from './node-permissions.js'
import { createPluginDir } from './socket-dir.js'

export const SUPPORTED_APP_VERSIONS = [HANDSHAKE.appProtocolVersion] as const

export interface LaunchOptions {
  /** The executable, a .js/.mjs file or a script whose shebang runs node (run with this Node), or a package directory whose `bin` or `main` is run. */
  path: string
  args?: string[]
  /** Extra environment for the plugin; nothing else of the host's environment is passed on. */
  env?: Record<string, string>
  name: string
  runtime: 'gateway' | 'studio'
  logger: HostLogger
  handshakeTimeoutMs?: number
  /** Per-launch mutual TLS (go-plugin AutoMTLS). On unless the plugin runs under its own uid (see {@link usesAutoMtls}). */
  autoMtls?: boolean
  /** Own uid/gid (root hosts) and Node's permission model (Node plugins); on by default, `false` turns both off. */
  isolation?: PluginIsolation | false
  /** Paths a Node plugin may read besides its own directory and its dependencies. */
  allowRead?: string[]
  /** Paths a Node plugin may write besides its socket directory. */
  allowWrite?: string[]
  /** Heap limit for Node plugins (--max-old-space-size). */
  memoryLimitMb?: number
  logForwarding?: LogForwarderOptions
}

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A plugin process that completed the handshake. */
export interface LaunchedPlugin {
  child: ChildProcess
  handshake: Handshake
  /** Private 0700 directory holding the plugin's and the broker's sockets. */
  dir: string
  /** The uid/gid it runs under and whether Node's permission model confines it. */
  isolation: ResolvedIsolation
  /** The host's certificate and key for this launch, when mTLS is on. */
  identity?: TlsIdentity
  /** The plugin's certificate (PEM) from the handshake, when mTLS is on. */
  pluginCertPem?: string
  /** Resolves when the process has exited. */
  exited: Promise<ExitStatus>
  /** Removes the private directory; safe to call more than once. */
  cleanup(): Promise<void>
}

/** Variables a plugin may need to run at all; everything else (secrets included) stays with the host. */
const INHERITED_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME', 'SYSTEMROOT'] as const

/** What runs: a Node script (run with this host's Node, so flags apply) or any other executable. */
interface PluginEntry {
  file: string
  node: boolean
  /** The directory the plugin may read: its package directory, or its file's directory. */
  ownDir: string
}

/** Checks the path up front, so a wrong source fails at once with PLUGIN_NOT_FOUND or PLUGIN_NOT_EXECUTABLE. */
function resolveEntry(path: string, name: string): PluginEntry {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (!stats) throw hostError('PLUGIN_NOT_FOUND', `plugin "${name}": ${path} does not exist; check its file:// source`)
  if (stats.isDirectory()) {
    const manifestPath = join(path, 'package.json')
    if (!existsSync(manifestPath)) throw hostError('PLUGIN_NOT_FOUND', `plugin "${name}": directory ${path} has no package.json naming a bin or main`)
    let pkg: { bin?: string | Record<string, string>; main?: string }
    try {
      pkg = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof pkg
    } catch (cause) {
      throw hostError('PLUGIN_LAUNCH_FAILED', `plugin "${name}": ${manifestPath} is not valid JSON`, cause)
    }
    const entry = typeof pkg.bin === 'string' ? pkg.bin : (Object.values(pkg.bin ?? {})[0] ?? pkg.main)
    if (!entry) throw hostError('PLUGIN_NOT_FOUND', `plugin "${name}": package.json in ${path} names neither a bin nor a main to run`)
    const file = resolve(path, entry)
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw hostError('PLUGIN_NOT_FOUND', `plugin "${name}": ${file}, named by ${manifestPath}, does not exist; build the plugin first (npm run build)`)
    }
    return { file, node: true, ownDir: path }
  }
  if (!stats.isFile()) throw hostError('PLUGIN_NOT_EXECUTABLE', `plugin "${name}": ${path} is neither a file nor a directory`)
  const node = ['.js', '.mjs', '.cjs'].includes(extname(path)) || shebangRunsNode(path)
  if (!node && (stats.mode & 0o111) === 0) {
    throw hostError('PLUGIN_NOT_EXECUTABLE', `plugin "${name}": ${path} is not executable; make it so (chmod +x) or point the source at a .js/.mjs file`)
  }
  return { file: path, node, ownDir: dirname(path) }
}

/** `#!/usr/bin/env node`, `#!/usr/local/bin/node --flag`: run with this host's Node so its flags (permissions, heap) apply. */
function shebangRunsNode(path: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return false // unreadable: the executable check and spawn say what is wrong
  }
  try {
    const head = Buffer.alloc(256)
    const line = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8').split('\n')[0]!
    return line.startsWith('#!') && line.slice(2).trim().split(/\s+/).some((word) => basename(word) === 'node')
  } finally {
    closeSync(fd)
  }
}

/**
 * A plugin's Unix socket must be a socket in its own directory: the host (root, maybe) would
 * otherwise dial, as this plugin, whatever the handshake names — another plugin's socket, or
 * one reached by a symlink.
 */
function requireOwnSocket(name: string, address: string, dir: string): void {
  const path = resolve(address)
  if (path.startsWith(dir + sep) && lstatSync(path, { throwIfNoEntry: false })?.isSocket()) return
  throw hostError('PLUGIN_HANDSHAKE_INVALID', `plugin "${name}" named ${JSON.stringify(address)} in its handshake, which is not a socket in its own socket directory ${dir}`)
}

/** SIGKILLs process group `pgid`; one already empty is fine. */
function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    // ESRCH: nothing of it is left
  }
}

/** A spawn failure as the error a user can act on. */
function spawnError(error: NodeJS.ErrnoException, options: LaunchOptions, isolation: ResolvedIsolation): PlugboardError {
  const what = `could not start plugin "${options.name}" (${options.path})`
  if (error.code === 'EACCES') {
    const who = isolation.user ? `uid ${isolation.user.uid}, which it runs under,` : 'the host user'
    return hostError('PLUGIN_NOT_EXECUTABLE', `${what}: permission denied; ${who} must be able to reach and execute it`, error)
  }
  if (error.code === 'ENOENT') return hostError('PLUGIN_NOT_FOUND', `${what}: not found (for a script, check its #! interpreter)`, error)
  return hostError('PLUGIN_LAUNCH_FAILED', `${what}: ${error.message}`, error)
}

/**
 * Starts a plugin process and completes the go-plugin handshake: magic cookie,
 * protocol versions, a private socket directory and AutoMTLS with certificates
 * made for this launch (unless isolation makes it unneeded). When the host runs
 * as root the plugin runs under its own uid; a Node plugin also under Node's
 * permission model. stdout after the handshake and all of stderr are forwarded
 * to `logger`. Rejects with PLUGIN_NOT_FOUND, PLUGIN_NOT_EXECUTABLE,
 * PLUGIN_ISOLATION_INVALID, PLUGIN_LAUNCH_FAILED, PLUGIN_HANDSHAKE_TIMEOUT,
 * PLUGIN_HANDSHAKE_INVALID, PLUGIN_PROTOCOL_UNSUPPORTED or PLUGIN_EXITED, and
 * leaves no process or directory behind when it does.
 */
export async function launchPlugin(options: LaunchOptions): Promise<LaunchedPlugin> {
  const entry = resolveEntry(options.path, options.name)
  const isolation = resolveIsolation(options.name, options.isolation)
  const dir = await createPluginDir(isolation.user).catch((error: Error) => {
    throw hostError('PLUGIN_LAUNCH_FAILED', `could not create the socket directory of plugin "${options.name}": ${error.message}`, error)
  })
  const cleanup = () => rm(dir, { recursive: true, force: true })
  let child: ChildProcess
  let identity: TlsIdentity | undefined
  try {
    identity = usesAutoMtls(options.autoMtls, isolation) ? await generateTlsIdentity() : undefined
    const env: Record<string, string> = {}
    for (const key of INHERITED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key]
    Object.assign(env, options.env, {
      [HANDSHAKE.magicCookieKey]: HANDSHAKE.magicCookieValue,
      [PLUGIN_ENV.protocolVersions]: SUPPORTED_APP_VERSIONS.join(','),
      [PLUGIN_ENV.unixSocketDir]: dir,
      [PLUGIN_ENV.runtime]: options.runtime,
      [PLUGIN_ENV.pluginName]: options.name,
      [PLUGIN_ENV.minPort]: '10000',
      [PLUGIN_ENV.maxPort]: '25000',
      // go-plugin before 1.4 ignores PLUGIN_UNIX_SOCKET_DIR and puts its socket in TMPDIR.
      TMPDIR: dir,
    })
    // The host's HOME is not the plugin's to write (or read) when it runs under its own uid.
    if (isolation.user) env.HOME = dir
    if (identity) env[PLUGIN_ENV.clientCert] = identity.certPem
    const permissions = { name: options.name, ownDir: entry.ownDir, socketDir: dir, allowRead: options.allowRead, allowWrite: options.allowWrite, env }
    const nodeArgs = entry.node
      ? [...(options.memoryLimitMb ? [`--max-old-space-size=${options.memoryLimitMb}`] : []), ...(isolation.nodePermissions ? nodePermissionArgs(permissions) : [])]
      : []
    child = spawn(entry.node ? process.execPath : entry.file, [...nodeArgs, ...(entry.node ? [entry.file] : []), ...(options.args ?? [])], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: entry.ownDir,
      // Its own process group, so whatever it starts is killed with it (see `exited` below).
      detached: true,
      uid: isolation.user?.uid,
      gid: isolation.user?.gid,
    })
  } catch (error) {
    await cleanup()
    throw isPlugboardError(error) ? error : spawnError(error as NodeJS.ErrnoException, options, isolation)
  }
  // A process that could not be spawned emits `error` and never `exit`. When the plugin exits, by
  // itself or killed, what it left running in its group (a launcher script's background job) goes too.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      killProcessGroup(child.pid!)
      resolve({ code, signal })
    })
    child.once('error', () => child.pid === undefined && resolve({ code: null, signal: null }))
  })
  const stderrTail: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail.push(chunk.toString('utf8'))
    if (stderrTail.length > 20) stderrTail.shift()
  })
  forwardLines(child.stderr!, options.logger, 'stderr', options.logForwarding)

  try {
    const handshake = await readHandshake(child, exited, options.handshakeTimeoutMs ?? 60_000, () => stderrTail.join('').slice(-500), options, isolation)
    if (identity && !handshake.serverCertDer) {
      throw hostError('PLUGIN_HANDSHAKE_INVALID', `plugin "${options.name}" ignored the AutoMTLS offer (no certificate in its handshake); disable autoMtls for it or update its SDK`)
    }
    requireTlsOnTcp(options.name, handshake.network, identity !== undefined, options.autoMtls)
    if (handshake.network === 'unix') requireOwnSocket(options.name, handshake.address, dir)
    return {
      child,
      handshake,
      dir,
      isolation,
      identity,
      pluginCertPem: handshake.serverCertDer ? certDerToPem(handshake.serverCertDer) : undefined,
      exited,
      cleanup,
    }
  } catch (error) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
    await cleanup()
    throw error
  }
}

function readHandshake(
  child: ChildProcess,
  exited: Promise<ExitStatus>,
  timeoutMs: number,
  stderrTail: () => string,
  options: LaunchOptions,
  isolation: ResolvedIsolation,
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const stdout = child.stdout!
    const rest = new PassThrough()
    let settled = false
    const finish = (error: unknown, handshake?: Handshake) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stdout.off('data', onData)
      stdout.pipe(rest)
      forwardLines(rest, options.logger, 'stdout', options.logForwarding)
      if (error) reject(error)
      else resolve(handshake!)
    }
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const newline = buffered.indexOf('\n')
      if (newline === -1) {
        if (buffered.length > 4096) finish(hostError('PLUGIN_HANDSHAKE_INVALID', `plugin "${options.name}" printed 4 KB without a handshake line`))
        return
      }
      rest.write(buffered.slice(newline + 1))
      try {
        finish(undefined, parseHandshakeLine(buffered.slice(0, newline), SUPPORTED_APP_VERSIONS))
      } catch (error) {
        finish(isPlugboardError(error) ? error : hostError('PLUGIN_HANDSHAKE_INVALID', String(error), error))
      }
    }
    const timer = setTimeout(
      () =>
        finish(
          hostError(
            'PLUGIN_HANDSHAKE_TIMEOUT',
            `plugin "${options.name}" printed no handshake line within ${timeoutMs} ms; check that it calls serve() (or go-plugin's plugin.Serve)`,
          ),
        ),
      timeoutMs,
    )
    stdout.on('data', onData)
    child.once('error', (error) => finish(spawnError(error, options, isolation)))
    void exited.then(({ code, signal }) =>
      finish(
        hostError(
          'PLUGIN_EXITED',
          `plugin "${options.name}" exited during the handshake (code ${code}, signal ${signal}); its last output: ${JSON.stringify(stderrTail())}`,
        ),
      ),
    )
  })
}
