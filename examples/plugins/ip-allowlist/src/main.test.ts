import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { HookChain, PluginHost, type ManagedPlugin } from '@plugboard/host'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const request = (clientIp: string) => ({ method: 'POST', path: '/v1/chat/completions', query: '', headers: {}, body: Buffer.alloc(0), clientIp })

describe('ip-allowlist as a plugin process', () => {
  let host: PluginHost
  let plugin: ManagedPlugin
  beforeAll(async () => {
    host = new PluginHost({ runtime: 'gateway', logger: pino({ level: 'silent' }) })
    plugin = await host.load({ name: 'ip-allowlist', source: `file://${packageDir}`, config: { allow: ['10.0.0.0/8'] } })
  })
  afterAll(() => host.shutdown())

  it('is launched from its package bin and blocks through a fail-closed pre-auth chain', async () => {
    expect(plugin.description).toMatchObject({ id: 'ip-allowlist', capabilities: expect.arrayContaining(['pre_auth', 'config_provider']), hookChannel: true })
    const chain = new HookChain([{ plugin, failurePolicy: 'fail-closed' }])
    await expect(chain.runPreAuth('r1', request('10.1.2.3'))).resolves.toMatchObject({ kind: 'continue' })
    const blocked = await chain.runPreAuth('r2', request('8.8.8.8'))
    expect(blocked).toMatchObject({ kind: 'block', plugin: 'ip-allowlist', status: 403 })
    expect(blocked.kind === 'block' && JSON.parse(blocked.body.toString()).error.code).toBe('IP_NOT_ALLOWED')
  })

  it.each([['a wrong', { PLUGBOARD_PLUGIN_COOKIE: 'wrong' }], ['no', {}]])('explains itself and exits 1 when run by hand with %s cookie', async (_, cookie) => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [`${packageDir}/dist/main.js`], { env: { PATH: process.env.PATH, ...cookie } }, (_error, _stdout, stderr) =>
        resolve({ code: child.exitCode, stderr }),
      )
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('must be launched by a Plugboard host')
  })
})
