import { describe, expect, it } from 'vitest'
import { HANDSHAKE, formatHandshakeLine, negotiateAppVersion, parseHandshakeLine } from './handshake.js'

describe('handshake line', () => {
  it('round-trips a go-plugin handshake with an AutoMTLS certificate (base64 without padding)', () => {
    const cert = Buffer.from([1, 2, 3, 4])
    const line = formatHandshakeLine({ coreProtocolVersion: 1, appProtocolVersion: 1, network: 'unix', address: '/tmp/p.sock', serverCertDer: cert })
    expect(line).toBe('1|1|unix|/tmp/p.sock|grpc|AQIDBA')
    expect(parseHandshakeLine(line, [1])).toEqual({ coreProtocolVersion: 1, appProtocolVersion: 1, network: 'unix', address: '/tmp/p.sock', protocol: 'grpc', serverCertDer: cert })
  })

  it('accepts the four-field form older go-plugin servers print', () => {
    expect(parseHandshakeLine('1|1|tcp|127.0.0.1:1234', [1])).toMatchObject({ network: 'tcp', address: '127.0.0.1:1234', protocol: 'grpc' })
  })

  it.each([
    ['hello', 'PLUGIN_HANDSHAKE_INVALID'],
    ['1|1|pipe|/x|grpc', 'PLUGIN_HANDSHAKE_INVALID'],
    ['a|1|unix|/x|grpc', 'PLUGIN_HANDSHAKE_INVALID'],
    ['2|1|unix|/x|grpc', 'PLUGIN_PROTOCOL_UNSUPPORTED'],
    ['1|9|unix|/x|grpc', 'PLUGIN_PROTOCOL_UNSUPPORTED'],
    ['1|1|unix|/x|netrpc', 'PLUGIN_PROTOCOL_UNSUPPORTED'],
  ])('rejects %j with %s', (line, code) => {
    expect(() => parseHandshakeLine(line, [1])).toThrow(expect.objectContaining({ code }))
  })

  it('negotiates the highest common app protocol version', () => {
    expect(negotiateAppVersion('1,2,3', [1, 2])).toBe(2)
    expect(negotiateAppVersion(undefined, [HANDSHAKE.appProtocolVersion])).toBe(1)
    expect(negotiateAppVersion('5', [1])).toBeUndefined()
  })
})
