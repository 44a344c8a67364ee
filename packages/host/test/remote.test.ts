import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { credentials, type ChannelCredentials } from '@grpc/grpc-js'
import { PLUGIN_CHANNEL_OPTIONS, callUnary, certDerToPem, servicev1 } from '@plugboard/proto'
import { PluginHost } from '@plugboard/host'
import { capturingLogger, fixturePath, httpRequest } from './helpers.js'

/** The certificate a TLS server presents, as anyone who dials it can fetch it. */
async function fetchServerCert(address: string): Promise<string> {
  const [hostname, port] = address.split(':')
  const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ['h2'] })
  await once(socket, 'secureConnect')
  const der = socket.getPeerCertificate().raw
  socket.destroy()
  return certDerToPem(der)
}

/** A kvSet from a local process that is not the plugin. */
function strangerKvSet(address: string, channelCredentials: ChannelCredentials): Promise<unknown> {
  const client = new servicev1.ServiceApiClient(address, channelCredentials, PLUGIN_CHANNEL_OPTIONS)
  const request = { key: 'k', value: Buffer.from('forged'), ttlMs: 0 }
  return callUnary(client, 'kvSet', request, { errorCode: 'STRANGER_CALL_FAILED', deadline: new Date(Date.now() + 5000) }).finally(() => client.close())
}

describe('grpc:// plugins (already running, not spawned by the host)', () => {
  const dirs: string[] = []
  const children: ChildProcess[] = []
  let host: PluginHost
  const { logger, lines } = capturingLogger()

  /** Starts a plugin process the way a sidecar runs, outside the host; resolves with its socket path. */
  async function startRemotePlugin(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'pb-remote-'))
    dirs.push(dir)
    const child = spawn(process.execPath, [fixturePath('faulty-plugin.mjs')], {
      env: { PATH: process.env.PATH, PLUGBOARD_PLUGIN_COOKIE: 'plugboard.plugin.v1', PLUGIN_UNIX_SOCKET_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    const [line] = (await once(child.stdout!, 'data')) as [Buffer]
    return line.toString().split('|')[3]!
  }

  beforeAll(() => {
    host = new PluginHost({ runtime: 'studio', logger })
  })
  afterAll(async () => {
    await host.shutdown()
    for (const child of children) child.kill('SIGKILL')
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('reloads side by side with a new connection to the same process, which the old connection does not shut down', async () => {
    const source = `grpc://unix:${await startRemotePlugin()}`
    const child = children.at(-1)!
    const plugin = await host.load({ name: 'remote-reload', source, scopes: [] })
    const call = () => plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set', 'x-key': 'k', 'x-value': 'v' }) }, { deadlineMs: 5000 })
    await expect(call()).resolves.toMatchObject({ result: { $case: 'block' } })
    await plugin.reload({ name: 'remote-reload', source, scopes: ['kv.readwrite'] })
    // A Controller.Shutdown from the old connection would have the SDK exit within 2 s (its bound on a graceful stop).
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(child.exitCode).toBeNull()
    await expect(call()).resolves.toMatchObject({ result: { $case: 'pass' } })
    expect(plugin.generation).toBe(2)
    await plugin.stop()
  })

  it('connects, initializes, serves the Service API through the broker and calls hooks', async () => {
    const plugin = await host.load({ name: 'remote', source: `grpc://unix:${await startRemotePlugin()}`, scopes: ['kv.readwrite'] })
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

  it('serves their Service API only on TLS with a per-connection token: a local process without it cannot write the KV', async () => {
    const plugin = await host.load({ name: 'remote-kv', source: `grpc://unix:${await startRemotePlugin()}`, scopes: ['kv.readwrite'] })
    const offered = lines.find((line) => line.msg === 'broker service offered' && line.plugin === 'remote-kv')
    const serviceAddress = String(offered?.address)
    expect(serviceAddress).toMatch(/^127\.0\.0\.1:\d+$/)

    await expect(strangerKvSet(serviceAddress, credentials.createInsecure())).rejects.toMatchObject({ code: 'STRANGER_CALL_FAILED' })
    const withTheCert = credentials.createSsl(Buffer.from(await fetchServerCert(serviceAddress)))
    await expect(strangerKvSet(serviceAddress, withTheCert)).rejects.toMatchObject({ code: 'SERVICE_UNAUTHENTICATED' })
    expect(lines).toContainEqual(expect.objectContaining({ audit: true, plugin: 'remote-kv', method: 'kvSet', msg: 'service API call without the connection token refused' }))
    const asPlugin = { plugin: 'remote-kv', scopes: new Set(['kv.readwrite'] as const) }
    expect((await host.serviceApi.kvGet({ key: 'k' }, asPlugin, new AbortController().signal)).found).toBe(false)

    const set = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set', 'x-key': 'k', 'x-value': 'genuine' }) }, { deadlineMs: 5000 })
    expect(set.result?.$case).toBe('pass')
    expect((await host.serviceApi.kvGet({ key: 'k' }, asPlugin, new AbortController().signal)).value.toString()).toBe('genuine')
    await plugin.stop()
  })

  it('refuses a grpc:// address off loopback without TLS', async () => {
    await expect(host.load({ name: 'far', source: 'grpc://10.9.9.9:5000' })).rejects.toMatchObject({ code: 'PLUGIN_SOURCE_INVALID' })
  })
})
