import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PluginHost, launchPlugin } from '@plugboard/host'
import { capturingLogger, fixture, fixturePath, httpRequest, waitFor } from './helpers.js'

const root = process.getuid?.() === 0

/** Pids of live processes whose command line is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  const wanted = argv.join('\0') + '\0'
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted
      } catch {
        return false // gone meanwhile
      }
    })
    .map(Number)
}

describe('a hostile plugin author', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-hostile-'))
  // Reachable by a plugin's own uid.
  chmodSync(dir, 0o755)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('cannot leave a process running after its plugin stops or crashes: the host kills the whole process group', async () => {
    // A launcher script (not confined by Node's permission model) that leaves a background process behind.
    const marker = `${3000 + Math.floor(Math.random() * 1000)}.${process.pid}`
    const script = join(dir, 'leaves-grandchild.sh')
    writeFileSync(script, `#!/bin/sh\nsleep ${marker} &\nexec "${process.execPath}" "${fixturePath('faulty-plugin.mjs')}"\n`, { mode: 0o755 })
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      const plugin = await host.load({ name: 'grandparent', source: `file://${script}`, healthIntervalMs: 0, restart: { initialDelayMs: 50 } })
      await waitFor(() => processesRunning(['sleep', marker]).length === 1, 5000, 'the grandchild to start')
      // A crash of the plugin takes its grandchild with it ...
      process.kill(plugin.pid!, 'SIGKILL')
      await waitFor(() => plugin.state === 'running' && processesRunning(['sleep', marker]).length === 1 && plugin.restarts === 1, 10_000, 'the restart')
      const [afterRestart] = processesRunning(['sleep', marker])
      await host.unload('grandparent')
      // ... and so does a stop.
      await waitFor(() => processesRunning(['sleep', marker]).length === 0, 5000, 'the grandchild to be killed')
      expect(afterRestart).toBeDefined()
    } finally {
      for (const pid of processesRunning(['sleep', marker])) process.kill(pid, 'SIGKILL')
      await host.shutdown()
    }
  })

  it("cannot make the host dial a socket outside the plugin's own directory (another plugin's, say)", async () => {
    const { logger } = capturingLogger()
    const victim = await launchPlugin({ path: fixturePath('faulty-plugin.mjs'), name: 'victim', runtime: 'gateway', logger })
    try {
      await expect(
        launchPlugin({
          path: fixturePath('redirected-handshake.mjs'),
          name: 'redirector',
          runtime: 'gateway',
          logger,
          env: { ANNOUNCE_ADDRESS: victim.handshake.address },
          handshakeTimeoutMs: 10_000,
        }),
      ).rejects.toMatchObject({ code: 'PLUGIN_HANDSHAKE_INVALID', message: expect.stringContaining('its own socket directory') })
    } finally {
      victim.child.kill('SIGKILL')
      await victim.exited
      await victim.cleanup()
    }
  })

  it.runIf(root)("cannot make the host (root) chmod a file of its choosing: the broker socket in the plugin's directory is handed over by lchown, never chmod", async () => {
    // chmod follows symlinks: a plugin owning the directory could swap the socket for a symlink to /etc/shadow between bind and chmod.
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      const plugin = await host.load({ name: 'broker-owner', source: fixture('hostile-plugin.mjs'), healthIntervalMs: 0 })
      const who = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-probe': 'whoami' }) }, { deadlineMs: 5000 })
      const { uid, dir } = who.result?.$case === 'modify' ? who.result.value.metadata : {}
      const brokers = readdirSync(dir!).filter((name) => name.startsWith('broker-'))
      expect(brokers).toHaveLength(1)
      const stats = lstatSync(join(dir!, brokers[0]!))
      expect(stats.isSocket()).toBe(true)
      expect(stats.uid).toBe(Number(uid))
      expect(stats.mode & 0o022).toBe(0)
    } finally {
      await host.shutdown()
    }
  })

  it('cannot flood the host log through the Service API: its Log calls get the limits of its stderr (rate and length)', async () => {
    const { logger, lines } = capturingLogger()
    const host = new PluginHost({ runtime: 'gateway', logger })
    try {
      const plugin = await host.load({ name: 'log-flooder', source: fixture('hostile-plugin.mjs'), healthIntervalMs: 0, logForwarding: { maxLinesPerSecond: 20 } })
      const started = Date.now()
      await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-probe': 'log-flood', 'x-target': '100x1' }) }, { deadlineMs: 20_000 })
      const windows = Math.ceil((Date.now() - started) / 1000) + 1
      await waitFor(() => lines.some((line) => line.dropped !== undefined), 5000, 'the dropped lines to be reported')
      const flood = lines.filter((line) => line.source === 'plugin-service-log' && line.plugin === 'log-flooder')
      // 100 calls of 1 MiB: 20 a second get through in each one-second window the calls spanned, which on a
      // loaded machine can be more than two. The other lines are dropped.
      expect(flood.length).toBeGreaterThan(0)
      expect(flood.length).toBeLessThanOrEqual(Math.min(20 * windows, 99))
      for (const line of flood) expect(JSON.stringify(line).length).toBeLessThan(20_000)
      expect(lines.find((line) => line.dropped !== undefined)).toMatchObject({ plugin: 'log-flooder', source: 'plugin-service-log' })
    } finally {
      await host.shutdown()
    }
  })

  /** A directory with a package.json, say the gateway's own beside its config file, readable by the plugin's uid. */
  function secretInstall(): { dir: string; config: string } {
    const secret = mkdtempSync(join(tmpdir(), 'pb-secret-pkg-'))
    chmodSync(secret, 0o755)
    writeFileSync(join(secret, 'package.json'), '{"name":"gateway-install"}', { mode: 0o644 })
    writeFileSync(join(secret, 'plugboard.yaml'), 'vendorKey: sk-secret\n', { mode: 0o644 })
    return { dir: secret, config: join(secret, 'plugboard.yaml') }
  }

  /** The hostile fixture as a package beside the fixtures (so it finds @plugboard/sdk), depending on the SDK and what `dependencies` names for its directory. */
  function hostilePackage(dependencies: (dir: string) => Record<string, string> = () => ({})): string {
    const pluginDir = mkdtempSync(join(dirname(fixturePath('hostile-plugin.mjs')), 'tmp-package-'))
    chmodSync(pluginDir, 0o755)
    copyFileSync(fixturePath('hostile-plugin.mjs'), join(pluginDir, 'plugin.mjs'))
    writeFileSync(join(pluginDir, 'package.json'), JSON.stringify({ name: 'hostile-package', main: 'plugin.mjs', dependencies: { '@plugboard/sdk': '*', ...dependencies(pluginDir) } }))
    return pluginDir
  }

  it("cannot widen Node's read grant by naming a path as a dependency: only package names are looked up", async () => {
    const secret = secretInstall()
    const pluginDir = hostilePackage((dir) => ({ [relative(join(dir, 'node_modules'), secret.dir)]: '*' }))
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      const plugin = await host.load({ name: 'traversal', source: `file://${pluginDir}`, healthIntervalMs: 0 })
      const read = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-probe': 'read', 'x-target': secret.config }) }, { deadlineMs: 5000 })
      expect(read.result).toMatchObject({ $case: 'modify', value: { metadata: { outcome: 'ERR_ACCESS_DENIED' } } })
    } finally {
      await host.shutdown()
      rmSync(pluginDir, { recursive: true, force: true })
      rmSync(secret.dir, { recursive: true, force: true })
    }
  })

  it("cannot read through a symbolic link it ships (Node's permission model follows links): such a plugin is refused at launch", async () => {
    const secret = secretInstall()
    const pluginDir = hostilePackage()
    mkdirSync(join(pluginDir, 'deep'))
    symlinkSync(secret.config, join(pluginDir, 'deep', 'leak'))
    // A link that stays inside is fine.
    symlinkSync('../plugin.mjs', join(pluginDir, 'deep', 'inside'))
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      await expect(host.load({ name: 'linker', source: `file://${pluginDir}`, healthIntervalMs: 0 })).rejects.toMatchObject({
        code: 'PLUGIN_ISOLATION_INVALID',
        message: expect.stringContaining(join(pluginDir, 'deep', 'leak')),
      })
      rmSync(join(pluginDir, 'deep', 'leak'))
      await host.load({ name: 'linker', source: `file://${pluginDir}`, healthIntervalMs: 0 })
    } finally {
      await host.shutdown()
      rmSync(pluginDir, { recursive: true, force: true })
      rmSync(secret.dir, { recursive: true, force: true })
    }
  })

  it('keeps a scope revoked while a reload is starting: the new process gets the grant current when it takes over', async () => {
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      const spec = { name: 'revoked', source: fixture('faulty-plugin.mjs'), scopes: ['kv.readwrite' as const], healthIntervalMs: 0 }
      const plugin = await host.load(spec)
      const reloading = plugin.reload(spec, { drainTimeoutMs: 1000 })
      // The admin revokes the scope while the new process starts.
      plugin.setScopes([])
      await reloading
      expect(plugin.spec.scopes).toEqual([])
      const write = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set', 'x-key': 'k', 'x-value': 'v' }) }, { deadlineMs: 5000 })
      expect(write.result).toMatchObject({ $case: 'block', value: { body: expect.anything() } })
      expect(JSON.parse(Buffer.from((write.result as { value: { body: Uint8Array } }).value.body).toString())).toMatchObject({ code: 'SCOPE_DENIED' })
    } finally {
      await host.shutdown()
    }
  })

  it("cannot be given NODE_OPTIONS that undo Node's permission model", async () => {
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    try {
      for (const flags of ['--allow-fs-read=*', '--enable-source-maps --allow_child_process']) {
        await expect(host.load({ name: 'widened', source: fixture('hostile-plugin.mjs'), env: { NODE_OPTIONS: flags }, healthIntervalMs: 0 })).rejects.toMatchObject({
          code: 'PLUGIN_ISOLATION_INVALID',
          message: expect.stringContaining('NODE_OPTIONS'),
        })
      }
      // Other Node options are fine.
      await host.load({ name: 'widened', source: fixture('hostile-plugin.mjs'), env: { NODE_OPTIONS: '--enable-source-maps' }, healthIntervalMs: 0 })
    } finally {
      await host.shutdown()
    }
  })
})
