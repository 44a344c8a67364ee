import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PluginHost } from '@plugboard/host'
import { capturingLogger, fixturePath, httpRequest } from './helpers.js'

describe('grpc:// plugins (already running, not spawned by the host)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-remote-'))
  const child = spawn(process.execPath, [fixturePath('faulty-plugin.mjs')], {
    env: { PATH: process.env.PATH, PLUGBOARD_PLUGIN_COOKIE: 'plugboard.plugin.v1', PLUGIN_UNIX_SOCKET_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let address = ''
  let host: PluginHost

  beforeAll(async () => {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer]
    address = line.toString().split('|')[3]!
    host = new PluginHost({ runtime: 'studio', logger: capturingLogger().logger })
  })
  afterAll(async () => {
    await host.shutdown()
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  // Before the test below, whose stop() shuts the shared plugin process down.
  it('reloads side by side with a new connection to the same process, which the old connection does not shut down', async () => {
    const plugin = await host.load({ name: 'remote-reload', source: `grpc://unix:${address}`, scopes: [] })
    const call = () => plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set', 'x-key': 'k', 'x-value': 'v' }) }, { deadlineMs: 2000 })
    await expect(call()).resolves.toMatchObject({ result: { $case: 'block' } })
    await plugin.reload({ name: 'remote-reload', source: `grpc://unix:${address}`, scopes: ['kv.readwrite'] })
    // A Controller.Shutdown from the old connection would have the SDK exit within 2 s (its bound on a graceful stop).
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(child.exitCode).toBeNull()
    await expect(call()).resolves.toMatchObject({ result: { $case: 'pass' } })
    expect(plugin.generation).toBe(2)
  })

  it('connects, initializes, serves the Service API through the broker and calls hooks', async () => {
    const plugin = await host.load({ name: 'remote', source: `grpc://unix:${address}`, scopes: ['kv.readwrite'] })
    expect(plugin.pid).toBeUndefined()
    expect(plugin.description).toMatchObject({ id: 'faulty', hookChannel: true })
    await expect(plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-order': '' }) }, { deadlineMs: 2000 })).resolves.toMatchObject({
      result: { $case: 'modify', value: { setHeaders: { 'x-order': 'faulty,' } } },
    })
    const set = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set', 'x-key': 'k', 'x-value': 'remote' }) }, { deadlineMs: 2000 })
    expect(set.result?.$case).toBe('pass')
    await plugin.stop()
    expect(plugin.state).toBe('stopped')
  })

  it('refuses a grpc:// address off loopback without TLS', async () => {
    await expect(host.load({ name: 'far', source: 'grpc://10.9.9.9:5000' })).rejects.toMatchObject({ code: 'PLUGIN_SOURCE_INVALID' })
  })
})
