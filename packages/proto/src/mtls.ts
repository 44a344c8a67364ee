import { ServerCredentials, credentials, type ChannelCredentials } from '@grpc/grpc-js'
import { createPrivateKey, webcrypto } from 'node:crypto'

/** A freshly generated self-signed certificate and its key, PEM-encoded. */
export interface TlsIdentity {
  certPem: string
  keyPem: string
  certDer: Buffer
}

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

/**
 * Generates the per-launch certificate of go-plugin's AutoMTLS: self-signed,
 * CA-capable (each side trusts exactly the other's certificate), valid for
 * "localhost" for both server and client auth. The x509 library is loaded on
 * first use so processes that never use mTLS do not pay for it.
 */
export async function generateTlsIdentity(): Promise<TlsIdentity> {
  await import('reflect-metadata')
  const x509 = await import('@peculiar/x509')
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.getRandomValues(new Uint8Array(8)).reduce((hex, b) => hex + b.toString(16).padStart(2, '0'), '7'),
    name: 'CN=localhost, O=Plugboard',
    notBefore: new Date(now - 30_000),
    notAfter: new Date(now + 30 * 24 * 3600_000),
    keys: keys as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString()
  return { certPem: cert.toString('pem'), keyPem, certDer: Buffer.from(cert.rawData) }
}

/** Wraps a DER certificate (as sent in the handshake line) in PEM for TLS APIs. */
export function certDerToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

/**
 * Server side of the per-launch mTLS: present `identity`, accept only clients
 * holding the peer's certificate. Insecure when either is missing (mTLS off).
 */
export function mtlsServerCredentials(identity: TlsIdentity | undefined, peerCertPem: string | undefined): ServerCredentials {
  if (!identity || !peerCertPem) return ServerCredentials.createInsecure()
  return ServerCredentials.createSsl(
    Buffer.from(peerCertPem),
    [{ private_key: Buffer.from(identity.keyPem), cert_chain: Buffer.from(identity.certPem) }],
    true,
  )
}

/** Client side of the per-launch mTLS: trust exactly the peer's certificate, present `identity`. */
export function mtlsChannelCredentials(identity: TlsIdentity | undefined, peerCertPem: string | undefined): ChannelCredentials {
  if (!identity || !peerCertPem) return credentials.createInsecure()
  return credentials.createSsl(Buffer.from(peerCertPem), Buffer.from(identity.keyPem), Buffer.from(identity.certPem))
}

/**
 * Channel and server options for plugin connections: certificates name
 * "localhost" whatever the socket path is; channelz off, since no channelz
 * service is served and its per-call counters and timestamps cost on every
 * call (the Service API's KV hot path).
 */
export const PLUGIN_CHANNEL_OPTIONS = {
  'grpc.ssl_target_name_override': 'localhost',
  'grpc.default_authority': 'localhost',
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.enable_channelz': 0,
} as const
