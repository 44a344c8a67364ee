import { randomUUID } from 'node:crypto'
import { configFromDocument, hashApiKey, type ConfigDocument } from '@plugboard/gateway'
import { sql } from 'kysely'
import type { MasterKey } from '../accounts/master-key.js'
import { secretHint } from '../accounts/secrets.js'
import type { Actor, Trx, Writes } from '../api/writes.js'
import { StudioError } from '../errors.js'
import { GATEWAY_SETTINGS_KEY, readConfigDocument, type BudgetLimitDocument, type StudioConfigDocument } from './config-document.js'

/** One object a config apply creates, updates or deletes. */
export interface ConfigChange {
  section: 'llms' | 'apps' | 'pricing' | 'plugins' | 'budgets' | 'settings'
  key: string
  action: 'create' | 'update' | 'delete'
  /** For updates: the fields that differ. */
  fields?: string[]
}

export interface ApplyOptions {
  actor: Actor
  dryRun: boolean
  requestId?: string | undefined
}

type LlmDoc = NonNullable<ConfigDocument['llms']>[number]
type AppDoc = NonNullable<ConfigDocument['apps']>[number]
type PluginDoc = NonNullable<ConfigDocument['plugins']>[number]
type KeyDoc = AppDoc['keys'][number] & { expiresAt?: string }

/** Serialises config applies (any constant works; this one is ours, next to the admins' lock). */
const CONFIG_APPLY_LOCK = 0x706c7568

/**
 * Makes Studio's state match a gateway config document, section by section:
 * a section the document has (`llms`, `apps`, `pricing`, `plugins`,
 * `budgets.limits`; an app's `monthlyBudget`) is reconciled completely —
 * created, updated, deleted — and a section it lacks is left alone. An LLM
 * without `apiKey`/`apiKeyEncrypted` keeps the key Studio has (an export
 * without secrets applies back unchanged). Applying the same document twice
 * changes nothing the second time. All of it in one transaction with its
 * audit entry, or nothing.
 */
export async function applyConfigDocument(writes: Writes, masterKey: MasterKey, document: StudioConfigDocument, options: ApplyOptions): Promise<ConfigChange[]> {
  let changes: ConfigChange[] = []
  const run = async (trx: Trx) => {
    // Each apply reconciles against what the one before it committed: over PostgreSQL, two applies at once
    // would each read the same state and neither delete what the other created.
    await sql`select pg_advisory_xact_lock(${CONFIG_APPLY_LOCK})`.execute(trx)
    changes = await reconcile(trx, masterKey, document)
    if (options.dryRun) throw new DryRun()
    return { id: null, before: undefined, after: { changes }, result: changes }
  }
  try {
    return await writes.run({ actor: options.actor, action: 'config_apply', type: 'setting', requestId: options.requestId }, run)
  } catch (error) {
    if (error instanceof DryRun) return changes
    throw error
  }
}

/** Rolls a dry run's transaction back once its changes are known. */
class DryRun extends Error {}

/**
 * What Studio will serve once the document is applied (its sections over the
 * current ones) must be a config the gateway runs: CONFIG_APPLY_INVALID
 * otherwise, with the gateway's own message.
 */
function validate(current: StudioConfigDocument, document: StudioConfigDocument, masterKey: MasterKey): void {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new StudioError('CONFIG_APPLY_INVALID', 'the config must be a mapping of sections (llms, apps, …)')
  // Every key of the document, known or not: the gateway's schema refuses an unknown one rather than it being dropped.
  const merged: StudioConfigDocument = { ...current, ...document }
  merged.budgets = { ...current.budgets, ...document.budgets }
  // Budgets follow their apps and LLMs (removed with them): only the document's own are checked.
  if (!document.budgets?.limits) delete merged.budgets.limits
  // Keys Studio keeps are not in the document; a placeholder lets the gateway's own checks run on the rest.
  const checked = { ...merged, llms: !Array.isArray(merged.llms) ? merged.llms : merged.llms.map((llm) => (llm.apiKey || llm.apiKeyEncrypted ? llm : { ...llm, apiKey: 'kept-by-studio' })) }
  try {
    configFromDocument(checked, { env: masterKey.env, baseDir: '/' })
  } catch (error) {
    throw new StudioError('CONFIG_APPLY_INVALID', (error as Error).message, { cause: error })
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The fields of `next` that differ from `current`. */
function differing(current: Record<string, unknown>, next: Record<string, unknown>): string[] {
  return Object.keys({ ...current, ...next }).filter((key) => !same(current[key], next[key]))
}

async function reconcile(trx: Trx, masterKey: MasterKey, document: StudioConfigDocument): Promise<ConfigChange[]> {
  const current = await readConfigDocument(trx, 'encrypted')
  validate(current, document, masterKey)
  const changes: ConfigChange[] = []
  if (document.server !== undefined || document.collector !== undefined || document.budgets?.defaultCompletionTokens !== undefined) {
    changes.push(...(await reconcileSettings(trx, current, document)))
  }
  if (document.llms) changes.push(...(await reconcileLlms(trx, masterKey, current.llms ?? [], document.llms)))
  if (document.apps) changes.push(...(await reconcileApps(trx, current.apps ?? [], document.apps)))
  if (document.pricing) changes.push(...(await reconcilePricing(trx, current.pricing ?? {}, document.pricing)))
  if (document.plugins) changes.push(...(await reconcilePlugins(trx, current.plugins ?? [], document.plugins)))
  if (document.apps || document.budgets?.limits) changes.push(...(await reconcileBudgets(trx, current.budgets?.limits ?? [], budgetsOf(document))))
  return changes
}

/** `server.host` and `server.port` are where a gateway listens: the command line's (`--host`, `--port`), not Studio's to store. */
function storedServer(server: StudioConfigDocument['server']): StudioConfigDocument['server'] {
  if (!server) return undefined
  const { host: _host, port: _port, ...rest } = server
  return Object.keys(rest).length ? rest : undefined
}

async function reconcileSettings(trx: Trx, current: StudioConfigDocument, document: StudioConfigDocument): Promise<ConfigChange[]> {
  const server = document.server ? storedServer(document.server) : current.server
  const next = {
    ...(server && { server }),
    ...((document.collector ?? current.collector) && { collector: document.collector ?? current.collector }),
    budgets: { defaultCompletionTokens: document.budgets?.defaultCompletionTokens ?? current.budgets?.defaultCompletionTokens },
  }
  if (next.budgets.defaultCompletionTokens === undefined) delete (next as { budgets?: unknown }).budgets
  const before = { server: current.server, collector: current.collector, budgets: current.budgets?.defaultCompletionTokens === undefined ? undefined : { defaultCompletionTokens: current.budgets.defaultCompletionTokens } }
  const fields = differing(before, next)
  if (fields.length === 0) return []
  await trx
    .insertInto('settings')
    .values({ key: GATEWAY_SETTINGS_KEY, value: JSON.stringify(next) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(next) }))
    .execute()
  return [{ section: 'settings', key: GATEWAY_SETTINGS_KEY, action: 'update', fields }]
}

/** An LLM document's fields as Studio compares them (the key as plaintext, for the diff only). */
function llmFields(llm: LlmDoc, masterKey: MasterKey, keep: string | undefined) {
  const apiKey = llm.apiKey ?? (llm.apiKeyEncrypted ? masterKey.decrypt(llm.apiKeyEncrypted) : keep)
  return { name: llm.name ?? llm.slug, description: llm.description ?? '', enabled: llm.enabled ?? true, vendor: llm.vendor, baseUrl: llm.baseUrl ?? '', apiKey, models: llm.models, defaultModel: llm.defaultModel ?? null, nativeApis: llm.nativeApis ?? null, mock: llm.mock ?? null }
}

async function reconcileLlms(trx: Trx, masterKey: MasterKey, current: LlmDoc[], wanted: LlmDoc[]): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  const existing = new Map(current.map((llm) => [llm.slug, llm]))
  for (const llm of wanted) {
    const before = existing.get(llm.slug)
    const kept = before?.apiKeyEncrypted ? masterKey.decrypt(before.apiKeyEncrypted) : undefined
    const next = llmFields(llm, masterKey, kept)
    const row = {
      name: next.name,
      description: next.description,
      enabled: next.enabled,
      vendor: next.vendor,
      base_url: next.baseUrl,
      api_key_encrypted: next.apiKey ? masterKey.encrypt(next.apiKey) : null,
      api_key_hint: next.apiKey ? secretHint(next.apiKey) : null,
      models: JSON.stringify(next.models),
      default_model: next.defaultModel,
      native_apis: next.nativeApis ? JSON.stringify(next.nativeApis) : null,
      mock: next.mock ? JSON.stringify(next.mock) : null,
    }
    if (!before) {
      await trx.insertInto('llms').values({ id: randomUUID(), slug: llm.slug, ...row }).execute()
      changes.push({ section: 'llms', key: llm.slug, action: 'create' })
      continue
    }
    const fields = differing(llmFields(before, masterKey, kept), next)
    if (fields.length === 0) continue
    await trx.updateTable('llms').set((eb) => ({ ...row, version: eb('version', '+', 1), updated_at: new Date() })).where('slug', '=', llm.slug).execute()
    changes.push({ section: 'llms', key: llm.slug, action: 'update', fields: fields.map((f) => (f === 'apiKey' ? 'apiKey (changed)' : f)) })
  }
  const keep = new Set(wanted.map((llm) => llm.slug))
  for (const llm of current.filter((llm) => !keep.has(llm.slug))) {
    await trx.deleteFrom('llms').where('slug', '=', llm.slug).execute()
    changes.push({ section: 'llms', key: llm.slug, action: 'delete' })
  }
  return changes
}

/** A key document as Studio stores it: the hash, revoked, the expiry. */
function keyOf(key: KeyDoc) {
  const hash = key.hash ? key.hash.slice('sha256:'.length) : hashApiKey(key.value!)
  return { hash, revoked: key.revoked ?? false, expiresAt: key.expiresAt ? new Date(key.expiresAt).toISOString() : null }
}

function appFields(app: AppDoc) {
  return {
    name: app.name ?? app.id,
    enabled: app.enabled ?? true,
    owner: app.owner ?? null,
    metadata: app.metadata ?? {},
    allowedLlms: [...(app.allowedLlms ?? [])].sort(),
    keys: app.keys.map((key) => keyOf(key as KeyDoc)).sort((a, b) => a.hash.localeCompare(b.hash)),
  }
}

async function reconcileApps(trx: Trx, current: AppDoc[], wanted: AppDoc[]): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  const existing = new Map(current.map((app) => [app.id, app]))
  const llmIds = new Map((await trx.selectFrom('llms').select(['id', 'slug']).execute()).map((llm) => [llm.slug, llm.id]))
  const owners = new Map((await trx.selectFrom('users').select(['id', 'email']).execute()).map((user) => [user.email, user.id]))
  for (const app of wanted) {
    const before = existing.get(app.id)
    const next = appFields(app)
    const fields = before ? differing(appFields(before), next) : []
    if (before && fields.length === 0) continue
    const ownerId = next.owner === null ? null : owners.get(next.owner.toLowerCase())
    if (ownerId === undefined) throw new StudioError('CONFIG_APPLY_INVALID', `app "${app.id}": owner "${next.owner}" is not a Studio user`)
    if ((app.allowedLlms ?? []).includes('*')) throw new StudioError('CONFIG_APPLY_INVALID', `app "${app.id}": Studio apps list their LLMs; "*" is not supported`)
    const row = { name: next.name, enabled: next.enabled, owner_id: ownerId, metadata: JSON.stringify(next.metadata) }
    let appId: string
    if (before) {
      appId = (await trx.selectFrom('apps').select('id').where('slug', '=', app.id).executeTakeFirstOrThrow()).id
      await trx.updateTable('apps').set((eb) => ({ ...row, version: eb('version', '+', 1), updated_at: new Date() })).where('id', '=', appId).execute()
      await trx.deleteFrom('app_llms').where('app_id', '=', appId).execute()
    } else {
      appId = randomUUID()
      await trx.insertInto('apps').values({ id: appId, slug: app.id, ...row }).execute()
    }
    if (next.allowedLlms.length) await trx.insertInto('app_llms').values(next.allowedLlms.map((slug) => ({ app_id: appId, llm_id: llmIds.get(slug)! }))).execute()
    await reconcileKeys(trx, appId, app.keys as KeyDoc[])
    changes.push(before ? { section: 'apps', key: app.id, action: 'update', fields } : { section: 'apps', key: app.id, action: 'create' })
  }
  const keep = new Set(wanted.map((app) => app.id))
  for (const app of current.filter((app) => !keep.has(app.id))) {
    await trx.deleteFrom('apps').where('slug', '=', app.id).execute()
    changes.push({ section: 'apps', key: app.id, action: 'delete' })
  }
  return changes
}

async function reconcileKeys(trx: Trx, appId: string, keys: KeyDoc[]): Promise<void> {
  const wanted = keys.map((key) => ({ ...keyOf(key), hint: key.value ? secretHint(key.value) : 'imported' }))
  const hashes = wanted.map((key) => key.hash)
  let removed = trx.deleteFrom('app_keys').where('app_id', '=', appId)
  if (hashes.length) removed = removed.where('key_hash', 'not in', hashes)
  await removed.execute()
  for (const key of wanted) {
    const state = { revoked_at: key.revoked ? new Date() : null, expires_at: key.expiresAt }
    await trx
      .insertInto('app_keys')
      .values({ id: randomUUID(), app_id: appId, key_hash: key.hash, hint: key.hint, ...state })
      .onConflict((oc) =>
        oc.column('key_hash').doUpdateSet((eb) => ({
          // A key that stays revoked keeps when it was revoked.
          revoked_at: key.revoked ? eb.fn.coalesce('app_keys.revoked_at', eb.val(new Date())) : null,
          expires_at: key.expiresAt,
          app_id: appId,
        })),
      )
      .execute()
  }
}

async function reconcilePricing(trx: Trx, current: Record<string, { input: number; output: number }>, wanted: Record<string, { input: number; output: number }>): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  for (const [model, price] of Object.entries(wanted)) {
    const before = current[model]
    if (before && same({ input: before.input, output: before.output }, { input: price.input, output: price.output })) continue
    await trx
      .insertInto('model_prices')
      .values({ model, input: price.input, output: price.output })
      .onConflict((oc) => oc.column('model').doUpdateSet((eb) => ({ input: price.input, output: price.output, version: eb('model_prices.version', '+', 1), updated_at: new Date() })))
      .execute()
    changes.push(before ? { section: 'pricing', key: model, action: 'update', fields: differing(before, price) } : { section: 'pricing', key: model, action: 'create' })
  }
  for (const model of Object.keys(current).filter((model) => !(model in wanted))) {
    await trx.deleteFrom('model_prices').where('model', '=', model).execute()
    changes.push({ section: 'pricing', key: model, action: 'delete' })
  }
  return changes
}

function pluginSpec({ name: _name, enabled: _enabled, ...spec }: PluginDoc & { enabled?: boolean }) {
  return spec
}

async function reconcilePlugins(trx: Trx, current: PluginDoc[], wanted: PluginDoc[]): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  const existing = new Map(current.map((plugin) => [plugin.name, plugin as PluginDoc & { enabled?: boolean }]))
  for (const plugin of wanted as Array<PluginDoc & { enabled?: boolean }>) {
    const before = existing.get(plugin.name)
    const next = { enabled: plugin.enabled ?? true, spec: pluginSpec(plugin) }
    if (!before) {
      await trx.insertInto('plugins').values({ id: randomUUID(), name: plugin.name, spec: JSON.stringify(next.spec), enabled: next.enabled }).execute()
      changes.push({ section: 'plugins', key: plugin.name, action: 'create' })
      continue
    }
    const fields = differing({ enabled: before.enabled ?? true, ...pluginSpec(before) }, { enabled: next.enabled, ...next.spec })
    if (fields.length === 0) continue
    await trx.updateTable('plugins').set((eb) => ({ spec: JSON.stringify(next.spec), enabled: next.enabled, version: eb('version', '+', 1), updated_at: new Date() })).where('name', '=', plugin.name).execute()
    changes.push({ section: 'plugins', key: plugin.name, action: 'update', fields })
  }
  const keep = new Set(wanted.map((plugin) => plugin.name))
  for (const plugin of current.filter((plugin) => !keep.has(plugin.name))) {
    await trx.deleteFrom('plugins').where('name', '=', plugin.name).execute()
    changes.push({ section: 'plugins', key: plugin.name, action: 'delete' })
  }
  return changes
}

/** The budgets a document asks for: its `budgets.limits`, and each app's `monthlyBudget`. */
function budgetsOf(document: StudioConfigDocument): BudgetLimitDocument[] {
  const fromApps = (document.apps ?? [])
    .filter((app) => (app.monthlyBudget ?? 0) > 0 && !(document.budgets?.limits ?? []).some((limit) => limit.app === app.id))
    .map((app) => ({ id: `app:${app.id}`, app: app.id, limit: app.monthlyBudget!, period: 'monthly' as const, thresholds: [50, 80, 100] }))
  return [...(document.budgets?.limits ?? []), ...fromApps]
}

/** Budgets are one per app and one per LLM: that target is their identity across applies. */
function targetOf(limit: BudgetLimitDocument): string {
  return limit.app ? `app:${limit.app}` : `llm:${limit.llm}`
}

function budgetFields(limit: BudgetLimitDocument) {
  return { limit: limit.limit, period: limit.period === 'monthly' ? 'monthly' : { days: limit.period.days, anchor: new Date(limit.period.anchor).toISOString() }, thresholds: limit.thresholds }
}

async function reconcileBudgets(trx: Trx, current: BudgetLimitDocument[], wanted: BudgetLimitDocument[]): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = []
  const existing = new Map(current.map((limit) => [targetOf(limit), limit]))
  const apps = new Map((await trx.selectFrom('apps').select(['id', 'slug']).execute()).map((app) => [app.slug, app.id]))
  const llms = new Map((await trx.selectFrom('llms').select(['id', 'slug']).execute()).map((llm) => [llm.slug, llm.id]))
  // Disabled budgets are not in the document but hold their target: found here, so they are updated rather than duplicated.
  const rows = await trx.selectFrom('budgets').leftJoin('apps', 'apps.id', 'budgets.app_id').leftJoin('llms', 'llms.id', 'budgets.llm_id').select(['budgets.id', 'apps.slug as app', 'llms.slug as llm']).execute()
  const idOfTarget = new Map(rows.map((row) => [row.app ? `app:${row.app}` : `llm:${row.llm}`, row.id]))
  for (const limit of wanted) {
    const target = targetOf(limit)
    const before = existing.get(target)
    const next = budgetFields(limit)
    const fields = before ? differing(budgetFields(before), next) : []
    if (before && fields.length === 0) continue
    const row = {
      limit_usd: limit.limit,
      period: limit.period === 'monthly' ? ('monthly' as const) : ('custom' as const),
      period_days: limit.period === 'monthly' ? null : limit.period.days,
      ...(limit.period !== 'monthly' && { anchor: new Date(limit.period.anchor) }),
      thresholds: JSON.stringify(limit.thresholds),
      enabled: true,
    }
    const targetColumns = limit.app ? { app_id: apps.get(limit.app) ?? null, llm_id: null } : { app_id: null, llm_id: llms.get(limit.llm!) ?? null }
    if (!targetColumns.app_id && !targetColumns.llm_id) throw new StudioError('CONFIG_APPLY_INVALID', `budget "${limit.id}" names an unknown ${limit.app ? `app "${limit.app}"` : `LLM "${limit.llm}"`}`)
    const id = idOfTarget.get(target)
    if (id) {
      await trx.updateTable('budgets').set((eb) => ({ ...row, version: eb('version', '+', 1), updated_at: new Date() })).where('id', '=', id).execute()
      changes.push({ section: 'budgets', key: target, action: 'update', fields: before ? fields : ['enabled'] })
    } else {
      await trx.insertInto('budgets').values({ id: randomUUID(), ...targetColumns, ...row }).execute()
      changes.push({ section: 'budgets', key: target, action: 'create' })
    }
  }
  const keep = new Set(wanted.map(targetOf))
  for (const limit of current.filter((limit) => !keep.has(targetOf(limit)))) {
    await trx.deleteFrom('budgets').where('id', '=', limit.id).execute()
    changes.push({ section: 'budgets', key: targetOf(limit), action: 'delete' })
  }
  return changes
}
