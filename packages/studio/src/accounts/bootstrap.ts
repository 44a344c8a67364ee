import { randomBytes, randomUUID } from 'node:crypto'
import type { StudioDb } from '../db/database.js'
import { hashPassword } from './secrets.js'
import { createToken } from '../resources/auth-routes.js'

/** What the first start created, to be printed once (a generated password is never shown again). */
export interface FirstAdmin {
  email: string
  /** Set when it was generated (not from PLUGBOARD_ADMIN_PASSWORD). */
  generatedPassword?: string
  /** Set when PLUGBOARD_ADMIN_TOKEN was given: it is now this admin's token. */
  token?: string
}

export const DEFAULT_ADMIN_EMAIL = 'admin@plugboard.local'

/**
 * Creates the first admin when there is no user yet: PLUGBOARD_ADMIN_EMAIL /
 * PLUGBOARD_ADMIN_PASSWORD, or a generated password; PLUGBOARD_ADMIN_TOKEN
 * becomes the admin's personal API token. Does nothing once a user exists
 * (the env is read on first start only). In one transaction with its audit entry.
 */
export async function bootstrapAdmin(db: StudioDb, env: NodeJS.ProcessEnv): Promise<FirstAdmin | undefined> {
  return db.transaction().execute(async (trx) => {
    const any = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst()
    if (any) return undefined
    const email = (env.PLUGBOARD_ADMIN_EMAIL ?? DEFAULT_ADMIN_EMAIL).trim().toLowerCase()
    const password = env.PLUGBOARD_ADMIN_PASSWORD || randomBytes(12).toString('base64url')
    const id = randomUUID()
    await trx.insertInto('users').values({ id, email, name: 'Admin', role: 'admin', password_hash: await hashPassword(password) }).execute()
    const token = env.PLUGBOARD_ADMIN_TOKEN ? (await createToken(trx, id, 'PLUGBOARD_ADMIN_TOKEN', null, env.PLUGBOARD_ADMIN_TOKEN)).token : undefined
    await trx
      .insertInto('audit_log')
      .values({ actor_type: 'system', actor_id: null, actor_name: 'studio', action: 'create', object_type: 'user', object_id: id, before: null, after: JSON.stringify({ id, email, role: 'admin' }), request_id: null })
      .execute()
    return { email, ...(!env.PLUGBOARD_ADMIN_PASSWORD && { generatedPassword: password }), ...(token && { token }) }
  })
}
