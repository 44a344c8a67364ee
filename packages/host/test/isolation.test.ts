import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PluginHost, launchPlugin, type ManagedPlugin, type PluginSpec } from '@plugboard/host'
import { capturingLogger, fixture, fixturePath, httpRequest } from './helpers.js'

const root = process.getuid?.() === 0

/** Runs one probe in the hostile fixture; its metadata says what happened. */
async function probe(plugin: ManagedPlugin, probeName: string, target = ''): Promise<Record<string, string>> {
  const result = await plugin.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-probe': probeName, 'x-target': target }) }, { deadlineMs: 5000 })
  return result.result?.$case === 'modify' ? result.result.value.metadata : {}
}

describe('plugin isolation', () => {
  const host = new PluginHost({ runtime: 'gateway', logger: capturingLogger().logger })
  /** A config file of the host's: 0600 and root's when the host is root, 0644 otherwise (then only the permission model guards it). */
  const secrets = mkdtempSync(join(tmpdir(), 'pb-secrets-'))
  const configFile = join(secrets, 'gateway.yaml')
  const load = (name: string, extra: Partial<PluginSpec> = {}) => host.load({ name, source: fixture('hostile-plugin.mjs'), healthIntervalMs: 0, ...extra })

  beforeAll(() => writeFileSync(configFile, 'vendorKey: sk-secret\n', { mode: root ? 0o600 : 0o644 }))
  afterAll(async () => {
    await host.shutdown()
    rmSync(secrets, { recursive: true, force: true })
  })

  it.runIf(root)('runs each plugin under its own unprivileged uid, in a 0700 socket directory it owns, without TLS on that socket', async () => {
    const { logger } = capturingLogger()
    const launched = await launchPlugin({ path: fixturePath('hostile-plugin.mjs'), name: 'hostile-launch', runtime: 'gateway', logger })
    try {
      const { uid, gid } = launched.isolation.user!
      expect(uid).toBeGreaterThanOrEqual(100_000)
      expect(statSync(launched.dir)).toMatchObject({ uid, gid })
      expect(statSync(launched.dir).mode & 0o777).toBe(0o700)
      expect(statSync(`/proc/${launched.child.pid}`)).toMatchObject({ uid, gid })
      expect(launched.identity).toBeUndefined()
      expect(launched.pluginCertPem).toBeUndefined()
    } finally {
      launched.child.kill('SIGKILL')
      await launched.exited
      await launched.cleanup()
    }

    const [a, b] = await Promise.all([load('uid-a'), load('uid-b')])
    const [whoA, whoB] = await Promise.all([probe(a, 'whoami'), probe(b, 'whoami')])
    expect(Number(whoA.uid)).toBeGreaterThanOrEqual(100_000)
    expect(whoA.uid).not.toBe(whoB.uid)
    expect(whoA.gid).toBe(whoA.uid)
    expect(whoA.clientCert).toBe('false')
    // The Service API over the broker socket works across the uid boundary, without TLS.
    const faulty = await host.load({ name: 'uid-kv', source: fixture('faulty-plugin.mjs'), scopes: ['kv.readwrite'], healthIntervalMs: 0 })
    await faulty.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-set', 'x-key': 'k', 'x-value': 'v' }) }, { deadlineMs: 5000 })
    const read = await faulty.callHook('preAuth', { requestId: 'r', request: httpRequest({ 'x-fault': 'kv-get', 'x-key': 'k' }) }, { deadlineMs: 5000 })
    expect(read.result).toMatchObject({ $case: 'modify', value: { metadata: { value: 'v' } } })
  })

  it.runIf(root)('runs a plugin under the uid and gid its spec names', async () => {
    const plugin = await load('named-uid', { isolation: { uid: 123_456, gid: 123_457 } })
    expect(await probe(plugin, 'whoami')).toMatchObject({ uid: '123456', gid: '123457' })
  })

  it.runIf(root)("by its uid alone (even allowed to read /proc and the file's directory), a plugin cannot read the host's environ, a root-only file, or another plugin's memory or environ", async () => {
    const spec = { allowRead: ['/proc', secrets] }
    const [hostile, victim] = await Promise.all([load('hostile-uid', spec), load('victim-uid', spec)])
    const victimPid = (await probe(victim, 'whoami')).pid
    expect(await probe(hostile, 'read', `/proc/${process.pid}/environ`)).toEqual({ outcome: 'EACCES' })
    expect(await probe(hostile, 'open', `/proc/${process.pid}/mem`)).toEqual({ outcome: 'EACCES' })
    expect(await probe(hostile, 'read', configFile)).toEqual({ outcome: 'EACCES' })
    expect(await probe(hostile, 'open', `/proc/${victimPid}/mem`)).toEqual({ outcome: 'EACCES' })
    expect(await probe(hostile, 'read', `/proc/${victimPid}/environ`)).toEqual({ outcome: 'EACCES' })
    // Its own, for contrast: the probes do work.
    expect(await probe(hostile, 'read', '/proc/self/environ')).toEqual({ outcome: 'ok' })
  })

  it("under Node's permission model a plugin reads only its own directory, its dependencies and what allowRead names (as any host user)", async () => {
    const [hostile, victim] = await Promise.all([load('hostile-fs'), load('victim-fs')])
    const victimPid = (await probe(victim, 'whoami')).pid
    expect(await probe(hostile, 'read', `/proc/${process.pid}/environ`)).toEqual({ outcome: 'ERR_ACCESS_DENIED' })
    expect(await probe(hostile, 'read', configFile)).toEqual({ outcome: 'ERR_ACCESS_DENIED' })
    expect(await probe(hostile, 'open', `/proc/${victimPid}/mem`)).toEqual({ outcome: 'ERR_ACCESS_DENIED' })
    expect(await probe(hostile, 'read', `/proc/${victimPid}/environ`)).toEqual({ outcome: 'ERR_ACCESS_DENIED' })
    expect(await probe(hostile, 'read', fixturePath('exits-early.mjs'))).toEqual({ outcome: 'ok' })

    const allowed = await load('allowed-fs', { allowRead: [secrets] })
    expect(await probe(allowed, 'read', configFile)).toEqual({ outcome: root ? 'EACCES' : 'ok' })
  })

  it.runIf(root)('refuses an isolated plugin that answers on TCP without TLS', async () => {
    await expect(host.load({ name: 'tcp-plaintext', source: fixture('tcp-plaintext.mjs') })).rejects.toMatchObject({
      code: 'PLUGIN_HANDSHAKE_INVALID',
      message: expect.stringContaining('without TLS'),
    })
  })

  it.skipIf(root)('keeps AutoMTLS on for every plugin of a host not running as root', async () => {
    expect(await probe(await load('non-root'), 'whoami')).toMatchObject({ uid: String(process.getuid?.()), clientCert: 'true' })
  })

  it('offers AutoMTLS whenever the plugin shares the host uid', async () => {
    const plugin = await load('shared-uid', { isolation: false })
    expect(await probe(plugin, 'whoami')).toMatchObject({ uid: String(process.getuid?.()), clientCert: 'true' })
  })
})
