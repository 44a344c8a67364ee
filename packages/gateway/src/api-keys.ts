import type { pluginv1 as pb } from '@plugboard/proto'
import type { BudgetLimits } from './budget-limits.js'
import { hashApiKey, type AppConfig } from './config.js'
import { GatewayError } from './errors.js'

/** The credential of a request: `Authorization: Bearer …` or `x-api-key`. */
export function credentialOf(headers: Record<string, string>): string {
  const authorization = headers.authorization
  if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim()
  return headers['x-api-key']?.trim() ?? ''
}

/** The app as plugins see it; its `monthlyBudget` is its monthly limit, if it has one (plugins read it; the gateway charges its limits). */
export function toPbApp(app: AppConfig, limits: BudgetLimits): pb.App {
  const monthly = limits.ofApp(app.id).find((limit) => limit.period.kind === 'monthly')
  return {
    id: app.id,
    name: app.name,
    allowedLlms: app.allowedLlms,
    monthlyBudget: monthly?.limitUsd ?? 0,
    metadata: Object.fromEntries(Object.entries(app.metadata).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])),
  }
}

/** Whether an app may use an LLM ('*' in its list allows all). */
export function mayUseLlm(app: { allowedLlms: string[] }, slug: string): boolean {
  return app.allowedLlms.includes(slug) || app.allowedLlms.includes('*')
}

/** LLM_NOT_ALLOWED unless the app may use the LLM. */
export function requireLlmAllowed(app: { name: string; allowedLlms: string[] }, slug: string): void {
  if (!mayUseLlm(app, slug)) throw new GatewayError('LLM_NOT_ALLOWED', `app "${app.name}" may not use LLM "${slug}"`)
}

/** The gateway's built-in authentication: app API keys, stored as sha256 hashes. */
export class ApiKeyAuthenticator {
  readonly #byHash = new Map<string, { app: AppConfig; revoked: boolean; expiresAt: number }>()

  constructor(apps: AppConfig[]) {
    for (const app of apps) for (const key of app.keys) this.#byHash.set(key.hash, { app, revoked: key.revoked, expiresAt: key.expiresAt ?? Infinity })
  }

  /** The app a key belongs to at `nowMs`; MISSING_API_KEY, INVALID_API_KEY, API_KEY_REVOKED or API_KEY_EXPIRED otherwise. */
  authenticate(credential: string, nowMs: number): AppConfig {
    if (!credential) throw new GatewayError('MISSING_API_KEY', 'no API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"')
    // Looked up by hash: what the lookup's timing could reveal is about the hash, not the key.
    const found = this.#byHash.get(hashApiKey(credential))
    if (!found) throw new GatewayError('INVALID_API_KEY', 'the API key is not valid')
    if (found.revoked) throw new GatewayError('API_KEY_REVOKED', 'the API key was revoked; ask an admin for a new one')
    if (nowMs >= found.expiresAt) {
      throw new GatewayError('API_KEY_EXPIRED', `the API key expired at ${new Date(found.expiresAt).toISOString()}; ask an admin for a new one`)
    }
    return found.app
  }
}
