import { PlugboardError } from './errors.js'

/**
 * The handshake both sides agree on before any gRPC call, as in HashiCorp
 * go-plugin's `HandshakeConfig`: the host sets the magic cookie in the
 * plugin's environment so a plugin run by hand can tell it was not launched by a host.
 */
export const HANDSHAKE = {
  coreProtocolVersion: 1,
  appProtocolVersion: 1,
  magicCookieKey: 'PLUGBOARD_PLUGIN_COOKIE',
  magicCookieValue: 'plugboard.plugin.v1',
} as const

/** Environment variables of the go-plugin launch protocol. */
export const PLUGIN_ENV = {
  protocolVersions: 'PLUGIN_PROTOCOL_VERSIONS',
  clientCert: 'PLUGIN_CLIENT_CERT',
  unixSocketDir: 'PLUGIN_UNIX_SOCKET_DIR',
  minPort: 'PLUGIN_MIN_PORT',
  maxPort: 'PLUGIN_MAX_PORT',
  runtime: 'PLUGBOARD_RUNTIME',
  pluginName: 'PLUGBOARD_PLUGIN_NAME',
} as const

export type HandshakeNetwork = 'unix' | 'tcp'

export interface Handshake {
  coreProtocolVersion: number
  appProtocolVersion: number
  network: HandshakeNetwork
  address: string
  protocol: 'grpc'
  /** The plugin's certificate (DER) when it answered the host's AutoMTLS offer. */
  serverCertDer?: Buffer
}

/** `CORE|APP|NETWORK|ADDRESS|grpc|CERT`: the line a plugin prints on stdout once it serves. */
export function formatHandshakeLine(handshake: Omit<Handshake, 'protocol'>): string {
  const cert = handshake.serverCertDer ? handshake.serverCertDer.toString('base64').replace(/=+$/, '') : ''
  return [
    handshake.coreProtocolVersion,
    handshake.appProtocolVersion,
    handshake.network,
    handshake.address,
    'grpc',
    cert,
  ].join('|')
}

export type HandshakeErrorCode = 'PLUGIN_HANDSHAKE_INVALID' | 'PLUGIN_PROTOCOL_UNSUPPORTED'

/**
 * Parses a handshake line. Throws PLUGIN_HANDSHAKE_INVALID for a line that is
 * not a handshake and PLUGIN_PROTOCOL_UNSUPPORTED for a version or protocol
 * this host cannot speak.
 */
export function parseHandshakeLine(line: string, supportedAppVersions: readonly number[]): Handshake {
  const parts = line.trim().split('|')
  const shown = JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)
  if (parts.length < 4) {
    throw new PlugboardError<HandshakeErrorCode>(
      'PLUGIN_HANDSHAKE_INVALID',
      `plugin printed ${shown} instead of a handshake line "CORE|APP|NETWORK|ADDRESS|grpc|CERT"; ` +
        'a plugin must print the handshake before anything else on stdout',
    )
  }
  const [core, app, network, address, protocol = 'grpc', cert = ''] = parts as [string, string, string, string, string?, string?]
  const coreVersion = Number(core)
  const appVersion = Number(app)
  if (!Number.isInteger(coreVersion) || !Number.isInteger(appVersion) || (network !== 'unix' && network !== 'tcp') || !address) {
    throw new PlugboardError<HandshakeErrorCode>('PLUGIN_HANDSHAKE_INVALID', `plugin printed a malformed handshake line ${shown}`)
  }
  if (coreVersion !== HANDSHAKE.coreProtocolVersion) {
    throw new PlugboardError<HandshakeErrorCode>(
      'PLUGIN_PROTOCOL_UNSUPPORTED',
      `plugin speaks core protocol ${coreVersion}, this host speaks ${HANDSHAKE.coreProtocolVersion}; rebuild the plugin against a matching SDK or go-plugin`,
    )
  }
  if (!supportedAppVersions.includes(appVersion)) {
    throw new PlugboardError<HandshakeErrorCode>(
      'PLUGIN_PROTOCOL_UNSUPPORTED',
      `plugin chose app protocol ${appVersion}, this host supports ${supportedAppVersions.join(', ')}; the plugin usually only needs to be rebuilt with a current SDK`,
    )
  }
  if (protocol !== 'grpc') {
    throw new PlugboardError<HandshakeErrorCode>('PLUGIN_PROTOCOL_UNSUPPORTED', `plugin serves protocol "${protocol}", only grpc is supported`)
  }
  const handshake: Handshake = { coreProtocolVersion: coreVersion, appProtocolVersion: appVersion, network, address, protocol: 'grpc' }
  if (cert) handshake.serverCertDer = Buffer.from(cert, 'base64')
  return handshake
}

/**
 * Picks the highest app protocol version both sides support from the host's
 * PLUGIN_PROTOCOL_VERSIONS list; undefined when none matches.
 */
export function negotiateAppVersion(offered: string | undefined, supported: readonly number[]): number | undefined {
  const versions = (offered ?? String(HANDSHAKE.appProtocolVersion))
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => supported.includes(v))
  return versions.length ? Math.max(...versions) : undefined
}
