import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { Type, type Static } from 'typebox'
import { hashPassword } from '../accounts/secrets.js'
import type { StudioContext } from '../api/context.js'
import { registerResource, TextQuery, Timestamps, timestamps } from '../api/resource.js'
import type { Api } from '../api/server.js'
import type { Trx } from '../api/writes.js'
import type { Row } from '../db/schema.js'
import { StudioError } from '../errors.js'
import { containsText } from '../api/list.js'

const Role = Type.Union([Type.Literal('admin'), Type.Literal('portal')], { description: 'admin: the admin API and dashboard; portal: the portal and the LLMs their groups grant.' })
const Name = Type.String({ minLength: 1, maxLength: 200 })
/** Trimmed and lower-cased before it is stored, so the pattern allows the spaces a paste brings. */
const Email = Type.String({ pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$', maxLength: 320, description: 'Stored trimmed and lower-cased; unique.', errorMessage: 'must be an email address' })
const Password = Type.String({ minLength: 12, maxLength: 1024, description: 'Stored as an scrypt hash, never returned.' })

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  disabled: Type.Boolean({ description: 'A disabled user cannot sign in; their sessions and tokens stop working at once.' }),
  hasPassword: Type.Boolean({ description: 'Whether the user can sign in with a password.' }),
  ...Timestamps,
})

const UserCreate = Type.Object({ email: Email, name: Type.Optional(Name), role: Role, password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false })

const UserUpdate = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Type.Union([Password, Type.Null()], { description: 'null removes the password (the user can then only use API tokens). Ends their sessions.' })),
  },
  { additionalProperties: false, minProperties: 1 },
)

export type UserItem = Static<typeof User>
export type UserCreateBody = Static<typeof UserCreate>
export type UserUpdateBody = Static<typeof UserUpdate>

export function presentUser(row: Row<'users'>): UserItem {
  return { id: row.id, email: row.email, name: row.name, role: row.role, disabled: row.disabled, hasPassword: row.password_hash !== null, ...timestamps(row) }
}

/** Serialises the writes that may remove an enabled admin (any constant works; this one is ours). */
const ADMINS_LOCK = 0x706c7567

/**
 * LAST_ADMIN when `row` is an enabled admin that the write takes away and no
 * other enabled admin remains. Under one advisory lock, so two admins
 * demoting each other at once cannot both pass.
 */
async function keepAnAdmin(trx: Trx, row: Row<'users'>, remainsEnabledAdmin: boolean): Promise<void> {
  if (row.role !== 'admin' || row.disabled || remainsEnabledAdmin) return
  await sql`select pg_advisory_xact_lock(${ADMINS_LOCK})`.execute(trx)
  const other = await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled', '=', false).where('id', '<>', row.id).limit(1).executeTakeFirst()
  if (!other) throw new StudioError('LAST_ADMIN', `${row.email} is the last enabled admin: make another user admin first`)
}

/** How many of the apps a user owns the refusal to delete them names. */
const OWNED_APPS_NAMED = 5

/**
 * A user who owns apps is not deleted: the apps would be left without an
 * owner, and an app a portal user owned would no longer be held to what the
 * owner's groups are granted (every LLM it lists would be served).
 */
async function ownsNoApps(trx: Trx, row: Row<'users'>): Promise<void> {
  const owned = await trx.selectFrom('apps').select('slug').where('owner_id', '=', row.id).orderBy('slug').limit(OWNED_APPS_NAMED + 1).execute()
  if (owned.length === 0) return
  const named = owned.slice(0, OWNED_APPS_NAMED).map((app) => app.slug).join(', ')
  throw new StudioError('IN_USE', `${row.email} owns apps (${named}${owned.length > OWNED_APPS_NAMED ? ', …' : ''}): give them another owner or delete them first`)
}

export function registerUserRoutes(app: Api, ctx: StudioContext): void {
  // The authenticator caches sessions and tokens for a few seconds; a committed user write must end that trust at once.
  ctx.changes.subscribe((change) => {
    if (change.type === 'user') ctx.auth.invalidate()
  })

  registerResource(app, ctx, {
    table: 'users',
    type: 'user',
    label: 'user',
    plural: 'users',
    access: 'admin',
    schemas: {
      item: User,
      create: UserCreate,
      update: UserUpdate,
      filters: { role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()), q: TextQuery('email or name') },
    },
    sortable: { email: 'email', name: 'name', createdAt: 'created_at' },
    defaultSort: 'email',
    filter: (query, { role, disabled, q }) => {
      let filtered = query
      if (role) filtered = filtered.where('role', '=', role)
      if (disabled !== undefined) filtered = filtered.where('disabled', '=', disabled)
      if (q) filtered = filtered.where(containsText(['email', 'name'], q))
      return filtered
    },
    present: async (rows) => rows.map(presentUser),
    secrets: ['password'],
    insert: async (trx, body) => {
      const id = randomUUID()
      const email = body.email.trim().toLowerCase()
      await trx
        .insertInto('users')
        .values({ id, email, name: body.name ?? email.split('@')[0]!, role: body.role, password_hash: body.password ? await hashPassword(body.password) : null, disabled: body.disabled ?? false })
        .execute()
      return id
    },
    update: async (trx, row, patch) => {
      await keepAnAdmin(trx, row, (patch.role ?? row.role) === 'admin' && !(patch.disabled ?? row.disabled))
      await trx
        .updateTable('users')
        .set({
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.role !== undefined && { role: patch.role }),
          ...(patch.disabled !== undefined && { disabled: patch.disabled }),
          ...(patch.password !== undefined && { password_hash: patch.password === null ? null : await hashPassword(patch.password) }),
        })
        .where('id', '=', row.id)
        .execute()
      // Disabled, or the password changed (perhaps because it leaked): whoever holds a session signs in again.
      if (patch.disabled === true || patch.password !== undefined) await trx.deleteFrom('sessions').where('user_id', '=', row.id).execute()
    },
    beforeDelete: async (trx, row) => {
      await keepAnAdmin(trx, row, false)
      await ownsNoApps(trx, row)
    },
  })
}
