import { createHash, timingSafeEqual } from 'node:crypto'
import {
  BasePlugin,
  PlugboardError,
  type App,
  type AuthProvider,
  type AuthRequest,
  type AuthResult,
  type ConfigProvider,
  type HookContext,
  type JsonValue,
  type PluginContext,
  type User,
} from '@plugboard/sdk'

/** One token's identity, as configured: app `id` required, the rest defaulted. */
export interface TokenIdentity {
  app: Partial<App> & { id: string }
  user?: Partial<User> & { id: string }
}

export interface CustomAuthConfig {
  /** By SHA-256 (hex) of the token: never the token itself. */
  tokens: Record<string, TokenIdentity>
  /** Tokens with this prefix are ours: an unknown one is rejected rather than passed to the next authenticator. */
  prefix?: string
}

interface Entry {
  digest: Buffer
  app: App
  user?: User
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

function invalid(message: string): PlugboardError {
  return new PlugboardError('CONFIG_INVALID', `custom-auth: ${message}`)
}

function parseEntry(hash: string, identity: TokenIdentity): Entry {
  if (!/^[0-9a-f]{64}$/i.test(hash)) throw invalid(`"${hash}" is not a SHA-256 hex digest (64 hex characters); store token hashes, not tokens`)
  const { app, user } = identity ?? {}
  if (typeof app?.id !== 'string' || app.id === '') throw invalid(`token ${hash.slice(0, 8)}… needs "app": { "id": … }`)
  if (user !== undefined && (typeof user?.id !== 'string' || user.id === '')) throw invalid(`token ${hash.slice(0, 8)}…: "user" needs an "id"`)
  return {
    digest: Buffer.from(hash, 'hex'),
    app: { name: app.id, allowedLlms: [], monthlyBudget: 0, metadata: {}, ...app },
    user: user && { email: '', name: '', roles: [], ...user },
  }
}

function parseConfig(config: JsonValue): { entries: Entry[]; prefix: string } {
  const value = config as Partial<CustomAuthConfig> | null
  if (!value || typeof value.tokens !== 'object' || value.tokens === null || Array.isArray(value.tokens)) {
    throw invalid('needs config { "tokens": { "<sha256 hex of token>": { "app": { "id": … }, "user": { "id": … } } }, "prefix": "cat_" }')
  }
  if (value.prefix !== undefined && typeof value.prefix !== 'string') throw invalid('"prefix" must be a string')
  return { entries: Object.entries(value.tokens).map(([hash, identity]) => parseEntry(hash, identity)), prefix: value.prefix ?? '' }
}

/**
 * Auth plugin: turns bearer tokens into an app and user. The config holds
 * SHA-256 hashes of the tokens, so a leaked config leaks no credentials.
 * Tokens with the configured prefix that match no hash are rejected with 401;
 * other unknown credentials are passed to the next authenticator.
 */
export class CustomAuth extends BasePlugin implements AuthProvider, ConfigProvider {
  readonly manifest = {
    id: 'custom-auth',
    name: 'Custom token auth',
    version: '0.1.0',
    description: 'Authenticates bearer tokens against configured SHA-256 hashes',
    runtimes: ['gateway' as const, 'studio' as const],
  }
  #config: { entries: Entry[]; prefix: string } = { entries: [], prefix: '' }

  configSchema(): JsonValue {
    const app = {
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        allowedLlms: { type: 'array', items: { type: 'string' } },
        monthlyBudget: { type: 'number' },
        metadata: { type: 'object', additionalProperties: { type: 'string' } },
      },
    }
    const user = {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
    }
    return {
      type: 'object',
      required: ['tokens'],
      properties: {
        tokens: {
          type: 'object',
          description: 'Identities by SHA-256 (hex) of the token',
          propertyNames: { pattern: '^[0-9a-fA-F]{64}$' },
          additionalProperties: { type: 'object', required: ['app'], properties: { app, user } },
        },
        prefix: { type: 'string', description: 'Unknown tokens with this prefix are rejected instead of passed on' },
      },
    }
  }

  override initialize(ctx: PluginContext): void {
    this.#config = parseConfig(ctx.config)
  }

  authenticate({ credential }: AuthRequest, ctx: HookContext): AuthResult {
    const entry = this.#find(credential)
    if (entry) return { action: 'authenticate', app: entry.app, user: entry.user }
    const { prefix } = this.#config
    if (prefix && credential.startsWith(prefix)) {
      ctx.log.info('unknown token rejected')
      return { action: 'reject', status: 401, code: 'INVALID_TOKEN', message: 'the bearer token is not valid; check it or ask for a new one' }
    }
    return { action: 'pass' }
  }

  getAppByCredential(credential: string): AuthResult {
    const entry = this.#find(credential)
    return entry ? { action: 'authenticate', app: entry.app } : { action: 'pass' }
  }

  getUserByCredential(credential: string): AuthResult {
    const entry = this.#find(credential)
    return entry ? { action: 'authenticate', app: entry.app, user: entry.user } : { action: 'pass' }
  }

  /** Compares the token's digest with every configured one in constant time, without stopping at a match. */
  #find(credential: string): Entry | undefined {
    if (!credential) return undefined
    const digest = sha256(credential)
    let found: Entry | undefined
    for (const entry of this.#config.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry
    }
    return found
  }
}
