import { describe, expect, it } from 'vitest'
import { createTestHost } from '@plugboard/sdk/testing'
import { ResponseHeaders } from './response-headers.js'

const host = (config: unknown) => createTestHost(new ResponseHeaders(), { config: config as never })

describe('ResponseHeaders (in-process)', () => {
  it('sets the configured headers and removes the listed ones, lower-cased', async () => {
    const plugin = await host({ headers: { 'X-Served-By': 'plugboard', 'cache-control': 'no-store' }, remove: ['Server', 'x-powered-by'] })
    const result = await plugin.responseHeaders({ headers: { server: 'uvicorn', 'content-type': 'application/json' } })
    expect(result.result).toEqual({
      $case: 'modify',
      value: { status: undefined, setHeaders: { 'x-served-by': 'plugboard', 'cache-control': 'no-store' }, removeHeaders: ['server', 'x-powered-by'] },
    })
  })

  it('answers every response, whatever its status', async () => {
    const plugin = await host({ headers: { 'x-served-by': 'plugboard' } })
    for (const status of [200, 404, 502]) {
      expect((await plugin.responseHeaders({ status })).result).toMatchObject({ $case: 'modify', value: { setHeaders: { 'x-served-by': 'plugboard' }, removeHeaders: [] } })
    }
  })

  it('declares the response-headers hook and config provider only', async () => {
    expect((await host({ remove: ['server'] })).manifest()).toMatchObject({ capabilities: ['response', 'config_provider', 'manifest_provider', 'response_headers'] })
  })

  it.each([
    [null],
    [[]],
    [{ headers: { 'bad header': 'x' } }],
    [{ headers: { 'x-n': 5 } }],
    [{ headers: { 'x-split': 'a\r\nset-cookie: evil=1' } }],
    [{ headers: { 'content-length': '0' } }],
    [{ remove: 'server' }],
    [{ remove: ['transfer-encoding'] }],
  ])('refuses config %j with CONFIG_INVALID', async (config) => {
    await expect(host(config)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
