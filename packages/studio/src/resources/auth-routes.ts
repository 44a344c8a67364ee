import { randomBytes, randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'
import { LoginThrottle, type ThrottleKey } from '../accounts/login-throttle.js'
import { dummyPasswordHash, hashSecret, newSecret, secretHint, verifyPassword } from '../accounts/secrets.js'
import { clearSessionCookies, principalOf, SESSION_COOKIE, SESSION_TTL_MS, setSessionCookies, actorOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { errorResponses, IdParams } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { StudioError, notFound } from '../errors.js'

/** What a personal API token starts with, so a leaked one is recognisable (secret scanners). */
export const TOKEN_PREFIX = 'pbt_'

const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('portal')]),
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
})

export type MeItem = Static<typeof Me>

const LoginAnswerSchema = Type.Object({ user: Me, csrfToken: Type.String(), expiresAt: Type.String({ format: 'date-time' }) })
export type LoginAnswer = Static<typeof LoginAnswerSchema>

const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  hint: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})

function presentToken(row: { id: string; name: string; hint: string; created_at: Date; expires_at: Date | null; last_used_at: Date | null }) {
  return { id: row.id, name: row.name, hint: row.hint, createdAt: row.created_at.toISOString(), expiresAt: row.expires_at?.toISOString() ?? null, lastUsedAt: row.last_used_at?.toISOString() ?? null }
}

/** Creates a personal API token for a user (the secret is returned once, stored hashed). */
export async function createToken(trx: Pick<StudioContext['db'], 'insertInto'>, userId: string, name: string, expiresAt: Date | null, secret = newSecret(TOKEN_PREFIX)) {
  const id = randomUUID()
  const row = await trx
    .insertInto('api_tokens')
    .values({ id, user_id: userId, name, token_hash: hashSecret(secret), hint: secretHint(secret), expires_at: expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...presentToken(row), token: secret }
}

export function registerAuthRoutes(app: Api, ctx: StudioContext): void {
  const throttle = new LoginThrottle()
  const tags = ['auth']

  app.post(
    `${API_PREFIX}/auth/login`,
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Sign in: sets the session cookie; answers the CSRF token writes must send as X-CSRF-Token',
        body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
        response: { 200: LoginAnswerSchema, ...errorResponses(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const email = request.body.email.trim().toLowerCase()
      const keys: ThrottleKey[] = [
        { kind: 'email', value: email },
        { kind: 'address', value: request.ip },
      ]
      const wait = throttle.waitMs(keys)
      if (wait > 0) {
        throw new StudioError('LOGIN_THROTTLED', `too many failed sign-ins: try again in ${Math.ceil(wait / 1000)} s`, { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } })
      }
      // Counted as a failure before the password is checked, so attempts sent all at once are throttled
      // like attempts one after another; a success clears it.
      throttle.fail(keys)
      const user = await ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
      // An unknown email costs as much time as a wrong password: the answer's timing does not tell which.
      const ok = await verifyPassword(request.body.password, user?.password_hash ?? (await dummyPasswordHash()))
      if (!user || !ok || user.disabled || !user.password_hash) {
        throw new StudioError('LOGIN_FAILED', 'the email or password is wrong')
      }
      throttle.succeed(keys)
      const session = randomBytes(32).toString('base64url')
      const csrf = randomBytes(24).toString('base64url')
      const expiresAt = new Date(Date.now() + SESSION_TTL_MS)
      await ctx.db.insertInto('sessions').values({ id_hash: hashSecret(session), user_id: user.id, csrf_token: csrf, expires_at: expiresAt }).execute()
      // Expired sessions are swept as new ones start: the table does not grow without bound.
      await ctx.db.deleteFrom('sessions').where('expires_at', '<', new Date()).execute()
      setSessionCookies(request, reply, session, csrf)
      return { user: { id: user.id, email: user.email, name: user.name, role: user.role, via: 'session' as const }, csrfToken: csrf, expiresAt: expiresAt.toISOString() }
    },
  )

  app.post(`${API_PREFIX}/auth/logout`, { config: { access: 'user' }, schema: { tags, summary: 'Sign out: ends the session', response: { 204: Type.Null(), ...errorResponses(401, 403) } } }, async (request, reply) => {
    const session = request.cookies[SESSION_COOKIE]
    if (session) {
      await ctx.db.deleteFrom('sessions').where('id_hash', '=', hashSecret(session)).execute()
      ctx.auth.invalidate()
    }
    clearSessionCookies(reply)
    return reply.code(204).send(null)
  })

  app.get(`${API_PREFIX}/me`, { config: { access: 'user' }, schema: { tags, summary: 'The signed-in user', response: { 200: Me, ...errorResponses(401) } } }, async (request) => {
    const p = principalOf(request)
    return { id: p.userId, email: p.email, name: p.name, role: p.role, via: p.via }
  })

  app.get(`${API_PREFIX}/me/tokens`, { config: { access: 'user' }, schema: { tags, summary: "The signed-in user's personal API tokens", response: { 200: Type.Object({ items: Type.Array(Token) }), ...errorResponses(401) } } }, async (request) => {
    const rows = await ctx.db.selectFrom('api_tokens').selectAll().where('user_id', '=', principalOf(request).userId).orderBy('created_at', 'desc').limit(200).execute()
    return { items: rows.map(presentToken) }
  })

  app.post(
    `${API_PREFIX}/me/tokens`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Create a personal API token (shown once)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), expiresAt: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }),
        response: { 201: Type.Intersect([Token, Type.Object({ token: Type.String({ description: 'The secret: shown this once.' }) })]), ...errorResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request)
      const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt) : null
      if (expiresAt && expiresAt.getTime() <= Date.now()) throw new StudioError('VALIDATION_FAILED', 'expiresAt is in the past', { details: [{ path: '/expiresAt', message: 'must be in the future' }] })
      const created = await ctx.writes.run({ actor: actorOf(principal), action: 'create', type: 'token', requestId: request.id }, async (trx) => {
        const token = await createToken(trx, principal.userId, request.body.name, expiresAt)
        const { token: _secret, ...shown } = token
        return { id: token.id, before: undefined, after: shown, result: token }
      })
      return reply.code(201).send(created)
    },
  )

  app.delete(`${API_PREFIX}/me/tokens/:id`, { config: { access: 'user' }, schema: { tags, summary: 'Revoke a personal API token', params: IdParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } }, async (request, reply) => {
    const principal = principalOf(request)
    await ctx.writes.run({ actor: actorOf(principal), action: 'delete', type: 'token', requestId: request.id }, async (trx) => {
      const row = await trx.deleteFrom('api_tokens').where('id', '=', request.params.id).where('user_id', '=', principal.userId).returningAll().executeTakeFirst()
      if (!row) throw notFound('token', request.params.id)
      return { id: row.id, before: presentToken(row), after: undefined, result: undefined }
    })
    ctx.auth.invalidate()
    return reply.code(204).send(null)
  })
}
