import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StudioDb } from '../db/database.js'
import type { Role } from '../db/schema.js'
import { hashSecret } from '../accounts/secrets.js'
import { StudioError } from '../errors.js'
import type { Actor } from './writes.js'

/** Who may call a route: anyone, any signed-in user (admin or portal), or admins only. */
export type Access = 'public' | 'user' | 'admin'

export interface Principal {
  userId: string
  email: string
  name: string
  role: Role
  /** How the request authenticated. */
  via: 'session' | 'token'
  /** The session's CSRF token (session only). */
  csrf?: string
  tokenId?: string
}

export const SESSION_COOKIE = 'pb_session'
export const CSRF_COOKIE = 'pb_csrf'
export const CSRF_HEADER = 'x-csrf-token'
export const SESSION_TTL_MS = 12 * 60 * 60_000
/** How long a looked-up session or token is trusted before it is read again (a disabled user loses access within this). */
const CACHE_TTL_MS = 5_000
const MAX_CACHED = 10_000
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** A credential as the database has it, or why it does not authenticate. */
type Loaded = { principal: Principal; expiresAt: number } | StudioError

interface Cached {
  principal: Principal | StudioError
  expiresAt: number
  fetchedAt: number
}

/**
 * Resolves the caller of each request from its session cookie or bearer
 * token, with a short read-through cache so a request does not always wait
 * on the database; checks the route's access and, for cookie-authenticated
 * writes, the CSRF token.
 */
export class Authenticator {
  readonly #cache = new Map<string, Cached>()
  readonly #touched = new Map<string, number>()
  /** Bumped by `invalidate`: a lookup that started before it must not cache what it read. */
  #generation = 0

  constructor(private readonly db: StudioDb) {}

  /** Forget every cached session and token (a user, role or token changed). */
  invalidate(): void {
    this.#generation++
    this.#cache.clear()
  }

  async check(request: FastifyRequest, access: Access): Promise<Principal | undefined> {
    const principal = await this.#identify(request)
    if (access === 'public') return principal
    if (!principal) throw new StudioError('UNAUTHENTICATED', 'sign in (POST /api/v1/auth/login) or send Authorization: Bearer <token>')
    if (access === 'admin' && principal.role !== 'admin') throw new StudioError('FORBIDDEN', 'this route is for admins')
    if (principal.via === 'session' && UNSAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER]
      if (typeof sent !== 'string' || sent !== principal.csrf) {
        throw new StudioError('CSRF_TOKEN_INVALID', `a write signed in by cookie needs the ${CSRF_HEADER} header the login answered with`)
      }
    }
    return principal
  }

  async #identify(request: FastifyRequest): Promise<Principal | undefined> {
    const authorization = request.headers.authorization
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
      if (!match) throw new StudioError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"')
      return this.#cached(`t:${hashSecret(match[1]!)}`, (hash) => this.#loadToken(hash))
    }
    const session = request.cookies[SESSION_COOKIE]
    if (!session) return undefined
    return this.#cached(`s:${hashSecret(session)}`, (hash) => this.#loadSession(hash))
  }

  async #cached(key: string, load: (hash: string) => Promise<Loaded>): Promise<Principal> {
    const now = Date.now()
    let entry = this.#cache.get(key)
    if (!entry || now - entry.fetchedAt > CACHE_TTL_MS) {
      const generation = this.#generation
      const loaded = await load(key.slice(2))
      entry = loaded instanceof StudioError ? { principal: loaded, expiresAt: Infinity, fetchedAt: now } : { ...loaded, fetchedAt: now }
      if (generation === this.#generation) this.#cache.set(key, entry)
      while (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!)
    }
    if (entry.principal instanceof StudioError) throw entry.principal
    if (entry.expiresAt <= now) throw new StudioError(entry.principal.via === 'token' ? 'TOKEN_EXPIRED' : 'SESSION_EXPIRED', 'the credential expired: sign in again')
    return entry.principal
  }

  async #loadSession(hash: string): Promise<Loaded> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.disabled', 'sessions.csrf_token', 'sessions.expires_at'])
      .where('sessions.id_hash', '=', hash)
      .executeTakeFirst()
    if (!row) return new StudioError('UNAUTHENTICATED', 'the session is not known (signed out?): sign in again')
    if (row.disabled || row.expires_at.getTime() <= Date.now()) return new StudioError('SESSION_EXPIRED', 'the session expired: sign in again')
    return { principal: { userId: row.id, email: row.email, name: row.name, role: row.role, via: 'session', csrf: row.csrf_token }, expiresAt: row.expires_at.getTime() }
  }

  async #loadToken(hash: string): Promise<Loaded> {
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.disabled', 'api_tokens.id as token_id', 'api_tokens.expires_at'])
      .where('api_tokens.token_hash', '=', hash)
      .executeTakeFirst()
    if (!row) return new StudioError('UNAUTHENTICATED', 'the API token is not known (revoked?)')
    if (row.disabled) return new StudioError('UNAUTHENTICATED', 'the API token belongs to a disabled user')
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) return new StudioError('TOKEN_EXPIRED', 'the API token expired: create a new one')
    this.#touch(row.token_id)
    return {
      principal: { userId: row.id, email: row.email, name: row.name, role: row.role, via: 'token', tokenId: row.token_id },
      expiresAt: row.expires_at?.getTime() ?? Infinity,
    }
  }

  /** Records a token's last use, at most once a minute and off the request's path. */
  #touch(tokenId: string): void {
    const now = Date.now()
    if (now - (this.#touched.get(tokenId) ?? 0) < 60_000) return
    this.#touched.set(tokenId, now)
    if (this.#touched.size > MAX_CACHED) this.#touched.clear()
    void this.db
      .updateTable('api_tokens')
      .set({ last_used_at: new Date(now) })
      .where('id', '=', tokenId)
      .execute()
      .catch(() => undefined)
  }
}

/** The audit actor of a request's principal. */
export function actorOf(principal: Principal): Actor {
  return principal.via === 'token'
    ? { type: 'token', id: principal.tokenId ?? null, name: `${principal.email} (token)` }
    : { type: 'user', id: principal.userId, name: principal.email }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
  interface FastifyContextConfig {
    /** Who may call the route; every route declares it. */
    access?: Access
  }
}

/** The principal of a route that is not public (set by the access hook). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new StudioError('UNAUTHENTICATED', 'sign in first')
  return request.principal
}

/** Sets the session and CSRF cookies; Secure when the request came over TLS. */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, session: string, csrf: string): void {
  const secure = request.protocol === 'https'
  const maxAge = SESSION_TTL_MS / 1000
  reply.setCookie(SESSION_COOKIE, session, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge })
  reply.setCookie(CSRF_COOKIE, csrf, { httpOnly: false, sameSite: 'strict', secure, path: '/', maxAge })
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' })
  reply.clearCookie(CSRF_COOKIE, { path: '/' })
}
