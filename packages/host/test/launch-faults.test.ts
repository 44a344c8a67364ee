import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { PluginHost } from '@plugboard/host'
import { capturingLogger, fixture, fixturePath, processAlive, waitFor } from './helpers.js'

const root = process.getuid?.() === 0

describe('a file:// plugin that cannot start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-faults-'))
  // Reachable by a plugin's own uid, so each case fails for its own reason.
  chmodSync(dir, 0o755)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, text: string, mode: number) => {
    const path = join(dir, name)
    writeFileSync(path, text, { mode })
    chmodSync(path, mode)
    return path
  }

  /** Loads `source` with the default (60 s) handshake timeout: it must fail long before that, with `code`. */
  async function expectFastFailure(source: string, code: string, message?: string) {
    const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
    const started = Date.now()
    await expect(host.load({ name: 'broken', source })).rejects.toMatchObject({ code, ...(message ? { message: expect.stringContaining(message) } : {}) })
    expect(Date.now() - started).toBeLessThan(5000)
    expect(host.list()).toEqual([])
    await host.shutdown()
  }

  it('fails with PLUGIN_NOT_EXECUTABLE when the file is not executable', async () => {
    await expectFastFailure(`file://${file('plain', '#!/bin/sh\necho hi\n', 0o644)}`, 'PLUGIN_NOT_EXECUTABLE', 'chmod +x')
  })

  it('fails with PLUGIN_NOT_FOUND when the file, its package entry or its #! interpreter is missing', async () => {
    await expectFastFailure(`file://${join(dir, 'nothing-here')}`, 'PLUGIN_NOT_FOUND', 'does not exist')
    const emptyPackage = join(dir, 'empty-package')
    mkdirSync(emptyPackage)
    await expectFastFailure(`file://${emptyPackage}`, 'PLUGIN_NOT_FOUND', 'no package.json')
    const unbuilt = join(dir, 'unbuilt')
    mkdirSync(unbuilt)
    writeFileSync(join(unbuilt, 'package.json'), JSON.stringify({ name: 'unbuilt', bin: './dist/main.js' }))
    await expectFastFailure(`file://${unbuilt}`, 'PLUGIN_NOT_FOUND', 'build the plugin first')
    await expectFastFailure(`file://${file('no-interpreter', '#!/nonexistent/interpreter\n', 0o755)}`, 'PLUGIN_NOT_FOUND', 'interpreter')
  })

  it.runIf(root)('fails with PLUGIN_NOT_EXECUTABLE when only root may execute it (the plugin runs under its own uid)', async () => {
    await expectFastFailure(`file://${file('root-only', '#!/bin/sh\necho hi\n', 0o700)}`, 'PLUGIN_NOT_EXECUTABLE', 'permission denied')
  })

  it('fails with PLUGIN_EXITED when it dies at start', async () => {
    await expectFastFailure(fixture('exits-early.mjs'), 'PLUGIN_EXITED', 'could not open database')
  })
})

/** Starts test/fixtures/host-process.mjs: a real host that loads one plugin and prints both pids. */
/** The hosts of this test keep their socket directories here: a host other tests start meanwhile (in the system temp dir) would clean up the dead one's first. */
const hostsTmp = mkdtempSync(join(tmpdir(), 'pb-hosts-'))
// As root, plugins run under their own uids and must reach their socket directories below it.
chmodSync(hostsTmp, 0o755)

async function startHostProcess(): Promise<{ child: ChildProcess; pid: number; pluginPid: number }> {
  const child = spawn(process.execPath, [fixturePath('host-process.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: hostsTmp } })
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  return { child, ...(JSON.parse(line) as { pid: number; pluginPid: number }) }
}

const hostDirs = (pid: number) => readdirSync(hostsTmp).filter((name) => name.startsWith(`plugboard-${pid}-`))

describe('socket directories', () => {
  const started: Array<{ child: ChildProcess; pid: number; pluginPid: number }> = []
  afterAll(async () => {
    for (const { child, pid, pluginPid } of started) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await once(child, 'exit')
      }
      await waitFor(() => !processAlive(pluginPid), 10_000, 'an orphaned plugin to exit')
      for (const name of hostDirs(pid)) rmSync(join(hostsTmp, name), { recursive: true, force: true })
    }
    rmSync(hostsTmp, { recursive: true, force: true })
  })

  it('of a host killed with SIGKILL are gone after the next host starts', async () => {
    const first = await startHostProcess()
    started.push(first)
    expect(hostDirs(first.pid)).toHaveLength(1)
    first.child.kill('SIGKILL')
    await once(first.child, 'exit')
    // Its plugin notices the host is gone and exits by itself.
    await waitFor(() => !processAlive(first.pluginPid), 10_000, 'the orphaned plugin to exit')
    expect(hostDirs(first.pid)).toHaveLength(1)

    const second = await startHostProcess()
    started.push(second)
    expect(hostDirs(first.pid)).toEqual([])
    expect(hostDirs(second.pid)).toHaveLength(1)
  })
})
