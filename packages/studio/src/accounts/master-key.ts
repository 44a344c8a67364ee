import { constants } from 'node:fs'
import { mkdir, open, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { decryptSecret, encryptSecret, MASTER_KEY_ENV } from '@plugboard/gateway'
import { randomBytes } from 'node:crypto'
import type { StudioDb } from '../db/database.js'
import { StudioError } from '../errors.js'

/**
 * The key vendor secrets are encrypted with (AES-256-GCM, the gateway's
 * `v1:` format, so an export with secrets runs a standalone gateway given the
 * same PLUGBOARD_MASTER_KEY).
 */
export class MasterKey {
  /** The environment the gateway decrypts `apiKeyEncrypted` with. */
  readonly env: NodeJS.ProcessEnv
  constructor(
    value: string,
    readonly origin: string,
  ) {
    this.env = { [MASTER_KEY_ENV]: value }
  }
  encrypt(plaintext: string): string {
    return encryptSecret(plaintext, this.env)
  }
  decrypt(encrypted: string): string {
    try {
      return decryptSecret(encrypted, this.env)
    } catch (cause) {
      throw new StudioError('MASTER_KEY_INVALID', `a stored secret does not decrypt with the master key from ${this.origin}: was the key changed?`, { cause })
    }
  }
}

/**
 * PLUGBOARD_MASTER_KEY when set; else the key file, created on first start
 * (32 random bytes, mode 0600, never overwritten).
 */
export async function loadMasterKey(env: NodeJS.ProcessEnv, keyFile: string): Promise<MasterKey> {
  const fromEnv = env[MASTER_KEY_ENV]
  if (fromEnv) return new MasterKey(fromEnv, MASTER_KEY_ENV)
  try {
    const value = (await readFile(keyFile, 'utf8')).trim()
    if (!value) throw new StudioError('MASTER_KEY_INVALID', `the master key file ${keyFile} is empty`)
    return new MasterKey(value, keyFile)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof StudioError) throw error
      throw new StudioError('MASTER_KEY_INVALID', `the master key file ${keyFile} cannot be read: ${(error as Error).message}`, { cause: error })
    }
  }
  await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 })
  const value = randomBytes(32).toString('base64url')
  const handle = await open(keyFile, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600).catch((error: NodeJS.ErrnoException) => {
    // Another process created it first: use theirs.
    if (error.code === 'EEXIST') return undefined
    throw error
  })
  if (!handle) return loadMasterKey(env, keyFile)
  await handle.writeFile(`${value}\n`)
  await handle.close()
  return new MasterKey(value, keyFile)
}

/**
 * Fails the start (MASTER_KEY_INVALID, naming where the key came from) when
 * the key does not decrypt a stored secret: a changed PLUGBOARD_MASTER_KEY
 * or a damaged key file is reported as such, not later as an LLM whose
 * encrypted key is invalid. Every secret is encrypted with the one key, so
 * one of them tells.
 */
export async function checkMasterKey(db: StudioDb, masterKey: MasterKey): Promise<void> {
  const stored =
    (await db.selectFrom('llms').select('api_key_encrypted as secret').where('api_key_encrypted', 'is not', null).limit(1).executeTakeFirst()) ??
    (await db.selectFrom('tools').select('credential_encrypted as secret').where('credential_encrypted', 'is not', null).limit(1).executeTakeFirst())
  if (stored?.secret) masterKey.decrypt(stored.secret)
}
