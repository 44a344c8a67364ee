import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, extname, join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import {
  HANDSHAKE,
  PLUGIN_ENV,
  certDerToPem,
  generateTlsIdentity,
  isPlugboardError,
  parseHandshakeLine,
  type Handshake,
  type TlsIdentity,
} from '@plugboard/proto'
import { hostError } from './errors.js'
import { forwardLines, type LogForwarderOptions } from './log-forwarder.js'
import type { HostLogger } from './logger.js'

export const SUPPORTED_APP_VERSIONS = [HANDSHAKE.appProtocolVersion] as const

export interface LaunchOptions {
  /** The executable, a .js/.mjs file run with this Node, or a package directory whose `bin` or `main` is run. */
  path: string
  args?: string[]
  /** Extra environment for the plugin; nothing else of the host's environment is passed on. */
  env?: Record<string, string>
  name: string
  runtime: 'gateway' | 'studio'
  logger: HostLogger
  handshakeTimeoutMs?: number
  /** Per-launch mutual TLS (go-plugin AutoMTLS). On by default. */
  autoMtls?: boolean
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

function resolveCommand(path: string, memoryLimitMb: number | undefined): { command: string; args: string[] } {
  const nodeArgs = memoryLimitMb ? [`--max-old-space-size=${memoryLimitMb}`] : []
  const node = (script: string) => ({ command: process.execPath, args: [...nodeArgs, script] })
  if (!existsSync(path)) throw hostError('PLUGIN_LAUNCH_FAILED', `plugin path ${path} does not exist`)
  if (statSync(path).isDirectory()) {
    const manifestPath = join(path, 'package.json')
    if (!existsSync(manifestPath)) throw hostError('PLUGIN_LAUNCH_FAILED', `plugin directory ${path} has no package.json naming a bin or main`)
    const pkg = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string>; main?: string }
    const entry = typeof pkg.bin === 'string' ? pkg.bin : (Object.values(pkg.bin ?? {})[0] ?? pkg.main)
    if (!entry) throw hostError('PLUGIN_LAUNCH_FAILED', `package.json in ${path} names neither a bin nor a main to run`)
    return node(resolve(path, entry))
  }
  return ['.js', '.mjs', '.cjs'].includes(extname(path)) ? node(path) : { command: path, args: [] }
}

/**
 * Starts a plugin process and completes the go-plugin handshake: magic cookie,
 * protocol versions, a private socket directory and, by default, AutoMTLS with
 * certificates made for this launch. stdout after the handshake and all of
 * stderr are forwarded to `logger`. Rejects with PLUGIN_LAUNCH_FAILED,
 * PLUGIN_HANDSHAKE_TIMEOUT, PLUGIN_HANDSHAKE_INVALID, PLUGIN_PROTOCOL_UNSUPPORTED
 * or PLUGIN_EXITED, and leaves no process or directory behind when it does.
 */
export async function launchPlugin(options: LaunchOptions): Promise<LaunchedPlugin> {
  const { command, args } = resolveCommand(options.path, options.memoryLimitMb)
  const dir = await mkdtemp(join(tmpdir(), 'pb-'))
  const cleanup = () => rm(dir, { recursive: true, force: true })
  const identity = options.autoMtls === false ? undefined : await generateTlsIdentity()
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
  if (identity) env[PLUGIN_ENV.clientCert] = identity.certPem

  const child = spawn(command, [...args, ...(options.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: dirname(options.path) })
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const stderrTail: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail.push(chunk.toString('utf8'))
    if (stderrTail.length > 20) stderrTail.shift()
  })
  forwardLines(child.stderr!, options.logger, 'stderr', options.logForwarding)

  try {
    const handshake = await readHandshake(child, exited, options.handshakeTimeoutMs ?? 60_000, () => stderrTail.join('').slice(-500), options)
    if (identity && !handshake.serverCertDer) {
      throw hostError('PLUGIN_HANDSHAKE_INVALID', `plugin "${options.name}" ignored the AutoMTLS offer (no certificate in its handshake); disable autoMtls for it or update its SDK`)
    }
    return {
      child,
      handshake,
      dir,
      identity,
      pluginCertPem: handshake.serverCertDer ? certDerToPem(handshake.serverCertDer) : undefined,
      exited,
      cleanup,
    }
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
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
    child.once('error', (error) => finish(hostError('PLUGIN_LAUNCH_FAILED', `could not start plugin "${options.name}" (${options.path}): ${error.message}`, error)))
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
