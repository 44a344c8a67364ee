import { existsSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PluginHost, launchPlugin, parsePluginSource } from '@plugboard/host'
import { capturingLogger, fixture, fixturePath, httpRequest, processAlive } from './helpers.js'

function newHost() {
  const { logger, lines } = capturingLogger()
  return { host: new PluginHost({ runtime: 'gateway', logger }), lines }
}

describe('launching a file:// plugin', () => {
  it('completes the handshake over mTLS in a private 0700 directory and removes it on stop', async () => {
    const { logger } = capturingLogger()
    // Without isolation: a plugin running under its own uid needs no TLS (isolation.test.ts).
    const launched = await launchPlugin({ path: fixturePath('faulty-plugin.mjs'), name: 'faulty', runtime: 'gateway', logger, isolation: false })
    try {
      expect(statSync(launched.dir).mode & 0o777).toBe(0o700)
      expect(launched.handshake).toMatchObject({ coreProtocolVersion: 1, appProtocolVersion: 1, network: 'unix', protocol: 'grpc' })
      expect(launched.handshake.address.startsWith(launched.dir)).toBe(true)
      expect(launched.pluginCertPem).toContain('BEGIN CERTIFICATE')
    } finally {
      launched.child.kill('SIGKILL')
      await launched.exited
      await launched.cleanup()
    }
    expect(existsSync(launched.dir)).toBe(false)
  })

  it('gives the plugin a minimal environment without the host secrets', async () => {
    process.env.PLUGBOARD_MASTER_KEY = 'host-secret-that-must-not-leak'
    const { host } = newHost()
    try {
      const plugin = await host.load({ name: 'faulty', source: fixture('faulty-plugin.mjs'), env: { EXTRA: '1' } })
      const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'env' }) }, { deadlineMs: 2000 })
      const env = result.result?.$case === 'modify' ? result.result.value.metadata.env!.split(',') : []
      expect(env).toContain('PLUGBOARD_PLUGIN_COOKIE')
      expect(env).toContain('EXTRA')
      expect(env).not.toContain('PLUGBOARD_MASTER_KEY')
    } finally {
      delete process.env.PLUGBOARD_MASTER_KEY
      await host.shutdown()
    }
  })

  it('rejects a plugin that prints a garbage handshake line', async () => {
    const { host } = newHost()
    await expect(host.load({ name: 'garbage', source: fixture('garbage-handshake.mjs') })).rejects.toMatchObject({
      code: 'PLUGIN_HANDSHAKE_INVALID',
      message: expect.stringContaining('Listening on port 8080'),
    })
    expect(host.list()).toHaveLength(0)
  })

  it('times out a plugin that never prints a handshake line', async () => {
    const { host } = newHost()
    const started = Date.now()
    await expect(host.load({ name: 'silent', source: fixture('silent.mjs'), handshakeTimeoutMs: 500 })).rejects.toMatchObject({
      code: 'PLUGIN_HANDSHAKE_TIMEOUT',
    })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('reports a plugin that exits during the handshake, with its last output', async () => {
    const { host } = newHost()
    await expect(host.load({ name: 'early', source: fixture('exits-early.mjs') })).rejects.toMatchObject({
      code: 'PLUGIN_EXITED',
      message: expect.stringContaining('could not open database'),
    })
  })

  it('refuses a plugin speaking another core protocol version', async () => {
    const { host } = newHost()
    await expect(host.load({ name: 'future', source: fixture('future-protocol.mjs') })).rejects.toMatchObject({
      code: 'PLUGIN_PROTOCOL_UNSUPPORTED',
    })
  })

  it('fails clearly for a missing executable and for a plugin that refuses its config', async () => {
    const { host } = newHost()
    await expect(host.load({ name: 'missing', source: 'file:///nonexistent/plugin' })).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' })
    await expect(host.load({ name: 'refuses', source: fixture('faulty-plugin.mjs'), config: { failInitialize: true } })).rejects.toMatchObject({
      code: 'PLUGIN_INITIALIZE_FAILED',
      message: expect.stringContaining('failInitialize'),
    })
  })

  it('parses plugin sources and rejects unknown schemes', () => {
    expect(parsePluginSource('file:///opt/p')).toEqual({ kind: 'file', path: '/opt/p' })
    expect(parsePluginSource('grpc://127.0.0.1:5001')).toMatchObject({ kind: 'grpc', target: '127.0.0.1:5001', loopback: true })
    expect(parsePluginSource('grpc://plugins.internal:5001')).toMatchObject({ loopback: false })
    expect(() => parsePluginSource('http://x')).toThrow(expect.objectContaining({ code: 'PLUGIN_SOURCE_INVALID' }))
    expect(() => parsePluginSource('grpc://nohostport')).toThrow(expect.objectContaining({ code: 'PLUGIN_SOURCE_INVALID' }))
  })
})

describe('shutdown', () => {
  it('stops a plugin through Controller.Shutdown and leaves no process behind', async () => {
    const { host } = newHost()
    const plugin = await host.load({ name: 'faulty', source: fixture('faulty-plugin.mjs') })
    const pid = plugin.pid!
    expect(processAlive(pid)).toBe(true)
    await host.shutdown()
    expect(processAlive(pid)).toBe(false)
    expect(plugin.state).toBe('stopped')
    await host.shutdown()
  })

  it('escalates to SIGTERM and then SIGKILL when a plugin will not exit', async () => {
    const { host } = newHost()
    const plugin = await host.load({ name: 'stubborn', source: fixture('faulty-plugin.mjs'), config: { stubbornShutdown: true }, shutdownTimeoutMs: 300 })
    const pid = plugin.pid!
    const started = Date.now()
    await plugin.stop()
    expect(processAlive(pid)).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)
  })
})
