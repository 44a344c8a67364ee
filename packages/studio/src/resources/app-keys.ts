import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { hashSecret, newSecret, secretHint } from '../accounts/secrets.js'
import { actorOf, principalOf, type Access } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuerySchema, Page } from '../api/list.js'
import { errorResponses } from '../api/resource.js'
import type { Api } from '../api/server.js'
import type { Trx } from '../api/writes.js'
import type { Row } from '../db/schema.js'
import { StudioError, notFound } from '../errors.js'

/** What an app key starts with, so a leaked one is recognisable (secret scanners). */
export const APP_KEY_PREFIX = 'pb-'
const MAX_GRACE_SECONDS = 30 * 24 * 60 * 60

const KeyStatus = Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')], { description: 'Whether the gateway accepts the key now.' })
const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

export const AppKey = Type.Object({
  id: Type.String(),
  hint: Type.String({ description: 'The last 4 characters of the key.' }),
  status: KeyStatus,
  createdAt: Timestamp,
  expiresAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
})
const IssuedKey = Type.Object({ ...AppKey.properties, key: Type.String({ description: 'The key: shown this once, stored only as its sha256.' }) })
const Rotated = Type.Object({ ...IssuedKey.properties, previous: Type.Object(AppKey.properties, { description: 'The rotated key: revoked, or expiring at the end of the grace period.' }) })

const AppParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })
const KeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }), keyId: Type.String({ minLength: 1, maxLength: 128 }) })
const ExpiresAt = Type.Optional(Type.String({ format: 'date-time', description: 'When the new key stops working (in the future); none: never.' }))
const IssueBody = Type.Object({ expiresAt: ExpiresAt }, { additionalProperties: false })
const RotateBody = Type.Object(
  {
    expiresAt: ExpiresAt,
    gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_SECONDS, default: 0, description: 'How long the old key keeps working (0: revoked at once; at most 30 days).' })),
  },
  { additionalProperties: false },
)

export type AppKeyItem = Static<typeof AppKey>
export type IssuedKeyItem = Static<typeof IssuedKey>
export type RotatedKeyItem = Static<typeof Rotated>

export function keyStatus(row: Pick<Row<'app_keys'>, 'expires_at' | 'revoked_at'>, now = Date.now()): AppKeyItem['status'] {
  if (row.revoked_at && row.revoked_at.getTime() <= now) return 'revoked'
  if (row.expires_at && row.expires_at.getTime() <= now) return 'expired'
  return 'active'
}

export function presentAppKey(row: Row<'app_keys'>): AppKeyItem {
  return { id: row.id, hint: row.hint, status: keyStatus(row), createdAt: row.created_at.toISOString(), expiresAt: row.expires_at?.toISOString() ?? null, revokedAt: row.revoked_at?.toISOString() ?? null }
}

/**
 * Issues a key for an app: `pb-` and 32 random bytes, stored as its sha256
 * hex (the gateway's `hashApiKey`, which it authenticates by). The secret is
 * in the result only; the caller shows it once.
 */
export async function issueAppKey(trx: Trx, appId: string, expiresAt: Date | null, key = newSecret(APP_KEY_PREFIX)) {
  const row = await trx
    .insertInto('app_keys')
    .values({ id: randomUUID(), app_id: appId, key_hash: hashSecret(key), hint: secretHint(key), expires_at: expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...presentAppKey(row), key }
}

async function lockKey(trx: Trx, appId: string, keyId: string): Promise<Row<'app_keys'>> {
  const row = await trx.selectFrom('app_keys').selectAll().where('id', '=', keyId).where('app_id', '=', appId).forUpdate().executeTakeFirst()
  if (!row) throw notFound('app key', keyId)
  return row
}

/** Issue and rotate take a bodiless POST (`curl -X POST`) as `{}`: every field of theirs is optional. */
async function bodyOrEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {}
}

function futureDate(value: string | undefined, path: string): Date | null {
  if (value === undefined) return null
  const date = new Date(value)
  if (date.getTime() <= Date.now()) throw new StudioError('VALIDATION_FAILED', `${path.slice(1)} is not in the future`, { details: [{ path, message: 'must be in the future' }] })
  return date
}

/**
 * Where a set of key routes lives and whose apps it serves: the admin's
 * `/apps/:id/keys` (any app) and the portal's `/me/apps/:id/keys` (the
 * caller's own apps; another's answers 404) share these routes.
 */
export interface AppKeyRoutes {
  /** The path of an app, `:id` in it: the keys are under `{appPath}/keys`. */
  appPath: string
  access: Access
  tags: string[]
  /** The app `id` (or slug) names, when the request's caller may see it; NOT_FOUND otherwise. */
  appOf: (request: FastifyRequest, id: string) => Promise<Row<'apps'>>
  /** The most keys an app may hold here (QUOTA_EXCEEDED past it): `active` ones to issue another, any (revoked too) to issue or rotate. */
  keyQuota?: { active: number; total: number }
}

/**
 * Refuses a new key past `quota` with QUOTA_EXCEEDED. The app's row is
 * locked first, so concurrent issues of one app count one after another.
 */
async function checkKeyQuota(trx: Trx, appId: string, quota: AppKeyRoutes['keyQuota'], counted: 'active' | 'total'): Promise<void> {
  if (!quota) return
  await trx.selectFrom('apps').select('id').where('id', '=', appId).forUpdate().execute()
  const [row] = await trx
    .selectFrom('app_keys')
    .select((eb) => [
      eb.fn.countAll<string>().as('total'),
      eb.fn.countAll<string>().filterWhere((w) => w.and([w('revoked_at', 'is', null), w.or([w('expires_at', 'is', null), w('expires_at', '>', new Date())])])).as('active'),
    ])
    .where('app_id', '=', appId)
    .execute()
  if (counted === 'active' && Number(row!.active) >= quota.active) throw new StudioError('QUOTA_EXCEEDED', `the app has ${quota.active} active keys, the most it may: revoke one first`)
  if (Number(row!.total) >= quota.total) throw new StudioError('QUOTA_EXCEEDED', `the app has had ${quota.total} keys, the most one app may: make another app`)
}

export function registerAppKeyRoutes(app: Api, ctx: StudioContext, routes: AppKeyRoutes): void {
  const { tags, appOf } = routes
  const config = { access: routes.access }
  const base = `${routes.appPath}/keys`
  const write = (request: FastifyRequest, action: 'issue_key' | 'rotate_key' | 'revoke_key') => ({ actor: actorOf(principalOf(request)), action, type: 'app_key' as const, requestId: request.id })

  app.get(
    base,
    { config, schema: { tags, summary: "An app's keys, newest first (never the secret)", params: AppParams, querystring: ListQuerySchema({}), response: { 200: Page(AppKey), ...errorResponses(401, 403, 404, 422) } } },
    async (request) => {
      const owner = await appOf(request, request.params.id)
      const page = await listPage(ctx.db.selectFrom('app_keys').selectAll().where('app_id', '=', owner.id), { sortable: { createdAt: 'created_at' }, defaultSort: '-createdAt', idColumn: 'id', query: request.query })
      return { items: page.items.map(presentAppKey), nextCursor: page.nextCursor }
    },
  )

  app.post(
    base,
    { config, preValidation: bodyOrEmpty, schema: { tags, summary: 'Issue a key for an app (the key is shown once)', params: AppParams, body: IssueBody, response: { 201: IssuedKey, ...errorResponses(401, 403, 404, 409, 422) } } },
    async (request, reply) => {
      const owner = await appOf(request, request.params.id)
      const expiresAt = futureDate(request.body.expiresAt, '/expiresAt')
      const issued = await ctx.writes.run(write(request, 'issue_key'), async (trx) => {
        await checkKeyQuota(trx, owner.id, routes.keyQuota, 'active')
        const issued = await issueAppKey(trx, owner.id, expiresAt)
        const { key: _secret, ...shown } = issued
        return { id: issued.id, before: undefined, after: { appId: owner.id, ...shown }, result: issued }
      })
      return reply.code(201).send(issued)
    },
  )

  app.post(
    `${base}/:keyId/rotate`,
    {
      config,
      preValidation: bodyOrEmpty,
      schema: { tags, summary: 'Rotate a key: issues a new one (shown once); the old one is revoked, or expires after the grace period', params: KeyParams, body: RotateBody, response: { 201: Rotated, ...errorResponses(401, 403, 404, 409, 422) } },
    },
    async (request, reply) => {
      const owner = await appOf(request, request.params.id)
      const grace = request.body.gracePeriodSeconds ?? 0
      const expiresAt = futureDate(request.body.expiresAt, '/expiresAt')
      const rotated = await ctx.writes.run(write(request, 'rotate_key'), async (trx) => {
        await checkKeyQuota(trx, owner.id, routes.keyQuota, 'total')
        const old = await lockKey(trx, owner.id, request.params.keyId)
        if (keyStatus(old) !== 'active') throw new StudioError('APP_KEY_INACTIVE', `app key ${old.id} is ${keyStatus(old)}: issue a new key instead of rotating it`)
        const now = new Date()
        const graceEnd = new Date(now.getTime() + grace * 1000)
        // The old key keeps the earlier of its own expiry and the end of the grace period.
        const cut = grace === 0 ? { revoked_at: now } : { expires_at: old.expires_at && old.expires_at < graceEnd ? old.expires_at : graceEnd }
        const previous = presentAppKey(await trx.updateTable('app_keys').set(cut).where('id', '=', old.id).returningAll().executeTakeFirstOrThrow())
        const issued = await issueAppKey(trx, owner.id, expiresAt)
        const { key: _secret, ...shown } = issued
        return { id: old.id, before: { appId: owner.id, ...presentAppKey(old) }, after: { appId: owner.id, ...previous, replacedBy: shown }, result: { ...issued, previous } }
      })
      return reply.code(201).send(rotated)
    },
  )

  app.delete(
    `${base}/:keyId`,
    { config, schema: { tags, summary: 'Revoke a key (at once; revoking a revoked key changes nothing)', params: KeyParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      const owner = await appOf(request, request.params.id)
      await ctx.writes.run(write(request, 'revoke_key'), async (trx) => {
        const old = await lockKey(trx, owner.id, request.params.keyId)
        const row = old.revoked_at ? old : await trx.updateTable('app_keys').set({ revoked_at: new Date() }).where('id', '=', old.id).returningAll().executeTakeFirstOrThrow()
        return { id: old.id, before: { appId: owner.id, ...presentAppKey(old) }, after: { appId: owner.id, ...presentAppKey(row) }, result: undefined }
      })
      return reply.code(204).send(null)
    },
  )
}
