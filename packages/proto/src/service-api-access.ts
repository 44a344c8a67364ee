import { randomBytes, timingSafeEqual } from 'node:crypto'
import { Metadata, ServerCredentials, credentials, type ChannelCredentials } from '@grpc/grpc-js'
import { certDerToPem, generateTlsIdentity } from './mtls.js'

/**
 * What a plugin the host did not launch (`grpc://`) needs to call the Service
 * API, which the host then serves on loopback TCP. With no launch handshake
 * there are no certificates to swap, so the host serves TLS with a fresh
 * certificate and requires a fresh random token on every call. Both reach the
 * plugin in the metadata of Initialize, on the connection the host dialed
 * itself; a local process that dials the port has neither and is refused
 * (SERVICE_UNAUTHENTICATED) before any method runs.
 */
export interface ServiceApiAccess {
  /** 256 random bits, base64url; sent by the plugin on every call. */
  token: string
  /** The host's certificate for this connection (DER); the plugin trusts exactly it. */
  certDer: Buffer
}

const TOKEN_KEY = 'plugboard-service-api-token'
const CERT_KEY = 'plugboard-service-api-cert-bin'

/** Host side: a new token and certificate, and the TLS credentials that serve with that certificate. */
export async function createServiceApiAccess(): Promise<{ access: ServiceApiAccess; serverCredentials: ServerCredentials }> {
  const identity = await generateTlsIdentity()
  return {
    access: { token: randomBytes(32).toString('base64url'), certDer: identity.certDer },
    serverCredentials: ServerCredentials.createSsl(null, [{ private_key: Buffer.from(identity.keyPem), cert_chain: Buffer.from(identity.certPem) }], false),
  }
}

/** Host side: puts `access` in the metadata of the Initialize call. */
export function writeServiceApiAccess(metadata: Metadata, access: ServiceApiAccess): Metadata {
  metadata.set(TOKEN_KEY, access.token)
  metadata.set(CERT_KEY, access.certDer)
  return metadata
}

/** Plugin side: the access the host sent with Initialize, or undefined when it sent none (a launched plugin). */
export function readServiceApiAccess(metadata: Metadata): ServiceApiAccess | undefined {
  const [token] = metadata.get(TOKEN_KEY)
  const [certDer] = metadata.get(CERT_KEY)
  return typeof token === 'string' && Buffer.isBuffer(certDer) ? { token, certDer } : undefined
}

/** Plugin side: TLS trusting exactly the host's certificate. */
export function serviceApiAccessCredentials(access: ServiceApiAccess): ChannelCredentials {
  return credentials.createSsl(Buffer.from(certDerToPem(access.certDer)))
}

/** Plugin side: the metadata every Service API call carries. */
export function serviceApiCallMetadata(access: ServiceApiAccess | undefined): Metadata {
  const metadata = new Metadata()
  if (access) metadata.set(TOKEN_KEY, access.token)
  return metadata
}

/** Host side: true when a call's metadata carries `token` (compared in constant time). */
export function carriesServiceApiToken(metadata: Metadata, token: string): boolean {
  const [sent] = metadata.get(TOKEN_KEY)
  if (typeof sent !== 'string') return false
  const expected = Buffer.from(token)
  const actual = Buffer.from(sent)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
