import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { IpAllowList } from './ip-allowlist.js'

const host = (config: unknown) => createTestHost(new IpAllowList(), { config: config as never })

describe('IpAllowList (in-process)', () => {
  it('passes addresses on the list and in allowed ranges, IPv4 and IPv6', async () => {
    const plugin = await host({ allow: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'] })
    for (const clientIp of ['10.20.30.40', '192.168.1.7', '::ffff:10.1.1.1', 'fd00::1']) {
      expect(await plugin.preAuth({ request: { clientIp } })).toEqual({ action: 'pass' })
    }
  })

  it('blocks other addresses with 403 and an OpenAI-shaped JSON error', async () => {
    const plugin = await host({ allow: ['10.0.0.0/8'] })
    const result = await plugin.preAuth({ request: { clientIp: '192.168.1.8' } })
    expect(result).toMatchObject({ action: 'block', status: 403, headers: { 'content-type': 'application/json' } })
    expect(result.action === 'block' && result.json()).toEqual({
      error: { message: 'client address 192.168.1.8 is not allowed', type: 'permission_error', code: 'IP_NOT_ALLOWED' },
    })
    expect(plugin.logs).toContainEqual(expect.objectContaining({ message: 'request blocked by IP allow-list', fields: expect.objectContaining({ ip: '192.168.1.8' }) }))
  })

  it('uses X-Forwarded-For only when told to trust it', async () => {
    const request = { clientIp: '127.0.0.1', headers: { 'x-forwarded-for': '10.0.0.5, 127.0.0.1' } }
    expect(await (await host({ allow: ['10.0.0.0/8'] })).preAuth({ request })).toMatchObject({ action: 'block' })
    expect(await (await host({ allow: ['10.0.0.0/8'], trustForwardedFor: true })).preAuth({ request })).toEqual({ action: 'pass' })
  })

  it('blocks a request whose client address is missing or not an IP', async () => {
    const plugin = await host({ allow: ['0.0.0.0/0'] })
    expect(await plugin.preAuth({ request: { clientIp: '' } })).toMatchObject({ action: 'block', status: 403 })
    expect(await plugin.preAuth({ request: { clientIp: 'not-an-ip' } })).toMatchObject({ action: 'block', status: 403 })
  })

  it.each([[null], [{}], [{ allow: 'x' }], [{ allow: ['10.0.0.0/8', 'banana'] }]])('refuses config %j with CONFIG_INVALID', async (config) => {
    await expect(host(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
