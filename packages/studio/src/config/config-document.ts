import type { ConfigDocument } from '@plugboard/gateway'
import type { StudioDb } from '../db/database.js'
import type { Trx } from '../api/writes.js'

/** The settings key holding the gateway's server, collector and budget defaults. */
export const GATEWAY_SETTINGS_KEY = 'gateway'

/** What of the gateway document lives in `settings`. */
export type GatewaySettings = Pick<ConfigDocument, 'server' | 'collector'> & { budgets?: { defaultCompletionTokens?: number } }

/** A budget as the gateway document writes it (`budgets.limits`). */
export interface BudgetLimitDocument {
  id: string
  app?: string
  llm?: string
  limit: number
  period: 'monthly' | { days: number; anchor: string }
  thresholds: number[]
}

export type StudioConfigDocument = Omit<ConfigDocument, 'budgets'> & {
  budgets?: { defaultCompletionTokens?: number; limits?: BudgetLimitDocument[] }
}

/**
 * How vendor secrets appear: `encrypted` as `apiKeyEncrypted` under the
 * master key (the live feed, and `export --with-secrets`); `omitted` not at all.
 */
export type SecretMode = 'encrypted' | 'omitted'

/**
 * Studio's state as one gateway config document: what the live gateway
 * serves (after `configFromDocument`), and what `plugboard config export`
 * writes as YAML. One reader for both, so the export is exactly what runs.
 * App ids in the document are the apps' slugs. The LLMs of an app a portal
 * user owns are those it lists that the owner's groups are granted.
 */
export async function readConfigDocument(db: StudioDb | Trx, secrets: SecretMode): Promise<StudioConfigDocument> {
  // Issued together: PostgreSQL runs them on several connections; the embedded database queues them.
  const [settings, llms, apps, appLlms, keys, prices, budgets, plugins] = await Promise.all([
    db.selectFrom('settings').select('value').where('key', '=', GATEWAY_SETTINGS_KEY).executeTakeFirst(),
    // Oldest first: the gateway routes a model to the first LLM listing it that an app may use, so a new LLM never takes over a model already served.
    db.selectFrom('llms').selectAll().orderBy('created_at').orderBy('slug').execute(),
    db.selectFrom('apps').leftJoin('users', 'users.id', 'apps.owner_id').select(['apps.id', 'apps.slug', 'apps.name', 'apps.enabled', 'apps.metadata', 'users.email as owner']).orderBy('apps.slug').execute(),
    // An app a portal user owns may use only what their groups are granted: an LLM it lists beyond that is not served.
    db
      .selectFrom('app_llms')
      .innerJoin('llms', 'llms.id', 'app_llms.llm_id')
      .innerJoin('apps', 'apps.id', 'app_llms.app_id')
      .leftJoin('users', 'users.id', 'apps.owner_id')
      .select(['app_llms.app_id', 'llms.slug'])
      .where((eb) =>
        eb.or([
          eb('users.role', 'is', null),
          eb('users.role', '!=', 'portal'),
          eb.exists(
            eb
              .selectFrom('group_members')
              .innerJoin('group_grants', 'group_grants.group_id', 'group_members.group_id')
              .select('group_members.user_id')
              .whereRef('group_members.user_id', '=', 'apps.owner_id')
              .where('group_grants.kind', '=', 'llm')
              .whereRef('group_grants.target_id', '=', 'app_llms.llm_id'),
          ),
        ]),
      )
      .orderBy('llms.slug')
      .execute(),
    db.selectFrom('app_keys').select(['app_id', 'key_hash', 'revoked_at', 'expires_at']).orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('model_prices').selectAll().orderBy('model').execute(),
    db
        .selectFrom('budgets')
        .leftJoin('apps', 'apps.id', 'budgets.app_id')
        .leftJoin('llms', 'llms.id', 'budgets.llm_id')
        .select(['budgets.id', 'budgets.limit_usd', 'budgets.period', 'budgets.period_days', 'budgets.anchor', 'budgets.thresholds', 'budgets.enabled', 'apps.slug as app', 'llms.slug as llm'])
        .orderBy('budgets.created_at')
        .orderBy('budgets.id')
        .execute(),
    db.selectFrom('plugins').selectAll().orderBy('name').execute(),
  ])

  const llmsOf = group(appLlms, (row) => row.app_id, (row) => row.slug)
  const keysOf = group(keys, (row) => row.app_id, (row) => ({
    hash: `sha256:${row.key_hash}`,
    ...(row.revoked_at && { revoked: true }),
    ...(row.expires_at && { expiresAt: row.expires_at.toISOString() }),
  }))
  const limits: BudgetLimitDocument[] = budgets
    .filter((b) => b.enabled)
    .map((b) => ({
      id: b.id,
      ...(b.app ? { app: b.app } : { llm: b.llm! }),
      limit: b.limit_usd,
      period: b.period === 'monthly' ? ('monthly' as const) : { days: b.period_days!, anchor: b.anchor.toISOString() },
      thresholds: b.thresholds,
    }))
  const gateway = (settings?.value ?? {}) as GatewaySettings

  return {
    ...(gateway.server && { server: gateway.server }),
    llms: llms.map((llm) => ({
      slug: llm.slug,
      ...(llm.name !== llm.slug && { name: llm.name }),
      ...(llm.description && { description: llm.description }),
      ...(!llm.enabled && { enabled: false }),
      vendor: llm.vendor as 'mock',
      ...(llm.base_url && { baseUrl: llm.base_url }),
      ...(secrets === 'encrypted' && llm.api_key_encrypted && { apiKeyEncrypted: llm.api_key_encrypted }),
      models: llm.models,
      ...(llm.default_model && { defaultModel: llm.default_model }),
      ...(llm.native_apis && { nativeApis: llm.native_apis }),
      ...(llm.mock && { mock: llm.mock }),
    })),
    apps: apps.map((app) => ({
      id: app.slug,
      ...(app.name !== app.slug && { name: app.name }),
      ...(!app.enabled && { enabled: false }),
      ...(app.owner && { owner: app.owner }),
      ...(Object.keys(app.metadata).length > 0 && { metadata: app.metadata }),
      keys: keysOf.get(app.id) ?? [],
      allowedLlms: llmsOf.get(app.id) ?? [],
    })),
    pricing: Object.fromEntries(prices.map((price) => [price.model, { input: price.input, output: price.output }])),
    plugins: plugins.map((plugin) => ({
      name: plugin.name,
      ...(!plugin.enabled && { enabled: false }),
      ...inReadingOrder(plugin.spec as { source: string }),
      ...(plugin.revision > 0 && { revision: plugin.revision }),
    })),
    ...(gateway.collector && { collector: gateway.collector }),
    budgets: { ...gateway.budgets, ...(limits.length > 0 && { limits }) },
  }
}

/** A plugin entry's keys in the order the README documents them (jsonb keeps its own order). */
const PLUGIN_KEYS = ['source', 'hooks', 'priority', 'failurePolicy', 'deadlineMs', 'apps', 'llms', 'tools', 'datasources', 'chatGroups', 'scopes', 'topics', 'objectHooks', 'serviceApiRateLimit', 'env', 'allowRead', 'allowWrite', 'isolation', 'restart', 'breaker', 'includeBodies', 'config']

function inReadingOrder<T extends Record<string, unknown>>(spec: T): T {
  const rank = (key: string) => (PLUGIN_KEYS.includes(key) ? PLUGIN_KEYS.indexOf(key) : PLUGIN_KEYS.length)
  return Object.fromEntries(Object.entries(spec).sort(([a], [b]) => rank(a) - rank(b))) as T
}

function group<T, V>(rows: T[], key: (row: T) => string, value: (row: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>()
  for (const row of rows) {
    const list = groups.get(key(row))
    if (list) list.push(value(row))
    else groups.set(key(row), [value(row)])
  }
  return groups
}
