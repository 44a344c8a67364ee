import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'
import { NATIVE_APIS, nativeApisProblem, type NativeApi } from '@plugboard/gateway'
import { secretHint } from '../accounts/secrets.js'
import type { Row } from '../db/schema.js'
import { StudioError } from '../errors.js'
import type { StudioContext } from '../api/context.js'
import { HttpUrl, HttpUrlOrEmpty, registerResource, Slug, SLUG_NAMED_SORTS, TextQuery, Timestamps, timestamps } from '../api/resource.js'
import { removeGrants } from './groups.js'
import type { Api } from '../api/server.js'
import { containsText } from '../api/list.js'

const Vendor = Type.Union([Type.Literal('mock'), Type.Literal('openai'), Type.Literal('anthropic')])
const Model = Type.String({ minLength: 1, maxLength: 200 })
const Mock = Type.Object(
  {
    latencyMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
    chunkDelayMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
    completionTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    chunks: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false, description: 'Mock vendor only: how it answers.' },
)
const Description = Type.String({ maxLength: 2000 })
const ApiKey = Type.String({ minLength: 1, maxLength: 4096, description: 'The vendor key; stored encrypted, never returned.' })
const NativeApis = Type.Array(Type.Enum(NATIVE_APIS), {
  uniqueItems: true,
  description:
    "The client APIs besides chat completions the vendor's server speaks, whose requests go upstream in their own API rather than translated: anthropic.messages (anthropic LLMs only), responses (openai LLMs only); [] always translates.",
})
const VENDOR_DEFAULT = "null: the vendor's default (anthropic: [anthropic.messages]; openai at https://api.openai.com/v1: [responses]; other servers and mock: [])."

export const Llm = Type.Object({
  id: Type.String(),
  slug: Slug,
  name: Type.String(),
  description: Type.String(),
  vendor: Vendor,
  baseUrl: Type.String(),
  apiKeyHint: Type.Union([Type.String(), Type.Null()], { description: 'The last 4 characters of the vendor key.' }),
  models: Type.Array(Model),
  defaultModel: Type.Union([Model, Type.Null()]),
  nativeApis: Type.Union([NativeApis, Type.Null()], { description: VENDOR_DEFAULT }),
  enabled: Type.Boolean(),
  mock: Type.Union([Mock, Type.Null()]),
  ...Timestamps,
})

const LlmCreate = Type.Object(
  {
    slug: Slug,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Description),
    vendor: Vendor,
    baseUrl: Type.Optional(HttpUrl),
    apiKey: Type.Optional(ApiKey),
    models: Type.Array(Model, { minItems: 1, maxItems: 500, uniqueItems: true }),
    defaultModel: Type.Optional(Model),
    nativeApis: Type.Optional(Type.Union([NativeApis, Type.Null()], { description: `Absent or ${VENDOR_DEFAULT}` })),
    enabled: Type.Optional(Type.Boolean()),
    mock: Type.Optional(Mock),
  },
  { additionalProperties: false },
)

const LlmUpdate = Type.Object(
  {
    slug: Type.Optional(Slug),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Description),
    baseUrl: Type.Optional(HttpUrlOrEmpty),
    apiKey: Type.Optional(Type.Union([ApiKey, Type.Null()], { description: 'null removes the key.' })),
    models: Type.Optional(Type.Array(Model, { minItems: 1, maxItems: 500, uniqueItems: true })),
    defaultModel: Type.Optional(Type.Union([Model, Type.Null()])),
    nativeApis: Type.Optional(Type.Union([NativeApis, Type.Null()], { description: `null clears it back to the vendor's default. ${VENDOR_DEFAULT}` })),
    enabled: Type.Optional(Type.Boolean()),
    mock: Type.Optional(Type.Union([Mock, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
)

export type LlmItem = Static<typeof Llm>
export type LlmCreateBody = Static<typeof LlmCreate>
export type LlmUpdateBody = Static<typeof LlmUpdate>

export function presentLlm(row: Row<'llms'>): LlmItem {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    vendor: row.vendor as LlmItem['vendor'],
    baseUrl: row.base_url,
    apiKeyHint: row.api_key_hint,
    models: row.models,
    defaultModel: row.default_model,
    nativeApis: row.native_apis ?? null,
    enabled: row.enabled,
    mock: row.mock ?? null,
    ...timestamps(row),
  }
}

/** VALIDATION_FAILED unless the default model is one of the models. */
function checkDefaultModel(models: string[], defaultModel: string | null | undefined): void {
  if (defaultModel && !models.includes(defaultModel)) {
    throw new StudioError('VALIDATION_FAILED', `defaultModel "${defaultModel}" is not one of the models`, { details: [{ path: '/defaultModel', message: 'must be one of models' }] })
  }
}

/** VALIDATION_FAILED unless an LLM of `vendor` can speak these APIs natively (the gateway's rule). */
function checkNativeApis(vendor: string, nativeApis: NativeApi[] | null | undefined): void {
  const problem = nativeApis && nativeApisProblem(vendor as LlmItem['vendor'], nativeApis)
  if (problem) throw new StudioError('VALIDATION_FAILED', `this LLM's vendor is ${vendor}: ${problem}`, { details: [{ path: '/nativeApis', message: problem }] })
}

export function registerLlmRoutes(app: Api, ctx: StudioContext): void {
  registerResource(app, ctx, {
    table: 'llms',
    type: 'llm',
    label: 'LLM',
    plural: 'llms',
    access: 'admin',
    schemas: {
      item: Llm,
      create: LlmCreate,
      update: LlmUpdate,
      filters: { vendor: Type.Optional(Vendor), enabled: Type.Optional(Type.Boolean()), q: TextQuery('slug or name') },
    },
    ...SLUG_NAMED_SORTS,
    filter: (query, { vendor, enabled, q }) => {
      let filtered = query
      if (vendor) filtered = filtered.where('vendor', '=', vendor)
      if (enabled !== undefined) filtered = filtered.where('enabled', '=', enabled)
      if (q) filtered = filtered.where(containsText(['slug', 'name'], q))
      return filtered
    },
    present: async (rows) => rows.map(presentLlm),
    secrets: ['apiKey'],
    insert: async (trx, body) => {
      checkDefaultModel(body.models, body.defaultModel)
      checkNativeApis(body.vendor, body.nativeApis)
      const id = randomUUID()
      await trx
        .insertInto('llms')
        .values({
          id,
          slug: body.slug,
          name: body.name ?? body.slug,
          description: body.description ?? '',
          vendor: body.vendor,
          base_url: body.baseUrl ?? '',
          api_key_encrypted: body.apiKey ? ctx.masterKey.encrypt(body.apiKey) : null,
          api_key_hint: body.apiKey ? secretHint(body.apiKey) : null,
          models: JSON.stringify(body.models),
          default_model: body.defaultModel ?? null,
          native_apis: body.nativeApis ? JSON.stringify(body.nativeApis) : null,
          mock: body.mock ? JSON.stringify(body.mock) : null,
          enabled: body.enabled ?? true,
        })
        .execute()
      return id
    },
    beforeDelete: (trx, row) => removeGrants(trx, 'llm', row.id),
    update: async (trx, row, patch) => {
      checkDefaultModel(patch.models ?? row.models, patch.defaultModel === undefined ? row.default_model : patch.defaultModel)
      checkNativeApis(row.vendor, patch.nativeApis)
      await trx
        .updateTable('llms')
        .set({
          ...(patch.slug !== undefined && { slug: patch.slug }),
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.baseUrl !== undefined && { base_url: patch.baseUrl }),
          ...(patch.apiKey !== undefined && {
            api_key_encrypted: patch.apiKey === null ? null : ctx.masterKey.encrypt(patch.apiKey),
            api_key_hint: patch.apiKey === null ? null : secretHint(patch.apiKey),
          }),
          ...(patch.models !== undefined && { models: JSON.stringify(patch.models) }),
          ...(patch.defaultModel !== undefined && { default_model: patch.defaultModel }),
          ...(patch.nativeApis !== undefined && { native_apis: patch.nativeApis === null ? null : JSON.stringify(patch.nativeApis) }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled }),
          ...(patch.mock !== undefined && { mock: patch.mock === null ? null : JSON.stringify(patch.mock) }),
        })
        .where('id', '=', row.id)
        .execute()
    },
  })
}
