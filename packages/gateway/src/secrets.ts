import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { GatewayError } from './errors.js'

/** Environment variable holding the master key that encrypts vendor secrets at rest. */
export const MASTER_KEY_ENV = 'PLUGBOARD_MASTER_KEY'

const PREFIX = 'v1:'

function masterKey(env: NodeJS.ProcessEnv): Buffer {
  const secret = env[MASTER_KEY_ENV]
  if (!secret) throw new GatewayError('CONFIG_INVALID', `an encrypted API key needs ${MASTER_KEY_ENV} to be set`)
  return createHash('sha256').update(secret).digest()
}

/** Encrypts a vendor secret with AES-256-GCM under the master key: `v1:<iv>:<tag>:<ciphertext>`, base64url parts. */
export function encryptSecret(plaintext: string, env: NodeJS.ProcessEnv = process.env): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', masterKey(env), iv)
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `${PREFIX}${[iv, cipher.getAuthTag(), data].map((part) => part.toString('base64url')).join(':')}`
}

export function decryptSecret(encrypted: string, env: NodeJS.ProcessEnv = process.env): string {
  const parts = encrypted.startsWith(PREFIX) ? encrypted.slice(PREFIX.length).split(':') : []
  if (parts.length !== 3) throw new GatewayError('CONFIG_INVALID', 'an encrypted API key must look like v1:<iv>:<tag>:<data>')
  const [iv, tag, data] = parts.map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer]
  // Outside the try: an unset key is its own message, not "does not decrypt".
  const key = masterKey(env)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv)
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')
  } catch (cause) {
    throw new GatewayError('CONFIG_INVALID', `an encrypted API key does not decrypt with ${MASTER_KEY_ENV}`, undefined, { cause })
  }
}
