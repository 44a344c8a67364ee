import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'
import { secretHint } from '../accounts/secrets.js'
import type { StudioContext } from '../api/context.js'
import { errorResponses, findRow, HttpUrl, IdParams, registerResource, Slug, SLUG_NAMED_SORTS, TextQuery, Timestamps, timestamps } from '../api/resource.js'
import { containsText } from '../api/list.js'
import { API_PREFIX, type Api } from '../api/server.js'
import type { Row, ToolAuth } from '../db/schema.js'
import { StudioError } from '../errors.js'
import { firstServerUrl, listOperations, MAX_SPEC_BYTES, readOpenApiDocument, type OpenApiDocument } from '../tools/openapi-operations.js'
import { DEFAULT_TOOL_TIMEOUT_MS, executeOperation, isCredentialHeader, toolFromRow } from '../tools/tool-call.js'
import { removeGrants } from './groups.js'

const AuthType = Type.Union([Type.Literal('none'), Type.Literal('bearer'), Type.Literal('header'), Type.Literal('query')])
const Auth = Type.Object(
  {
    type: AuthType,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The header or query parameter the credential goes in (header and query only).' })),
  },
  { additionalProperties: false, description: 'How the credential is sent: `Authorization: Bearer`, a named header, or a named query parameter.' },
)
const Spec = Type.Union([Type.Object({}, { additionalProperties: true }), Type.String({ maxLength: MAX_SPEC_BYTES })], { description: 'An OpenAPI 3.0 or 3.1 document: a JSON object, or JSON or YAML text (at most 1 MB).' })
// No control characters: the credential goes in a header or a URL as it is.
const Credential = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: 'Stored encrypted, never returned.', errorMessage: 'must not contain control characters (line breaks, tabs)' })
const Description = Type.String({ maxLength: 2000 })

const Parameter = Type.Object({
  name: Type.String(),
  in: Type.Union([Type.Literal('path'), Type.Literal('query'), Type.Literal('header')]),
  required: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  schema: Type.Unknown({ description: 'Its JSON Schema as the document gives it.' }),
})

/** An operation as the API lists it. */
export const Operation = Type.Object({
  id: Type.String({ description: 'The operationId, or `METHOD /path` when the document gives none.' }),
  method: Type.String(),
  path: Type.String(),
  summary: Type.Union([Type.String(), Type.Null()]),
  parameters: Type.Array(Parameter),
  hasBody: Type.Boolean(),
  bodyRequired: Type.Boolean(),
  bodyContentType: Type.Union([Type.String(), Type.Null()]),
})

/** A tool as the API presents it: its operations, never its document's text or its credential. */
export const Tool = Type.Object({
  id: Type.String(),
  slug: Slug,
  name: Type.String(),
  description: Type.String(),
  baseUrl: Type.String(),
  auth: Auth,
  credentialHint: Type.Union([Type.String(), Type.Null()], { description: 'The last 4 characters of the credential.' }),
  operations: Type.Array(Operation),
  ...Timestamps,
})

const ToolCreate = Type.Object(
  {
    slug: Slug,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Description),
    spec: Spec,
    baseUrl: Type.Optional(HttpUrl),
    auth: Type.Optional(Auth),
    credential: Type.Optional(Credential),
  },
  { additionalProperties: false },
)

const ToolUpdate = Type.Object(
  {
    slug: Type.Optional(Slug),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Description),
    spec: Type.Optional(Spec),
    baseUrl: Type.Optional(HttpUrl),
    auth: Type.Optional(Auth),
    credential: Type.Optional(Type.Union([Credential, Type.Null()], { description: 'null removes the credential.' })),
  },
  { additionalProperties: false, minProperties: 1 },
)

const Scalar = Type.Union([Type.String({ maxLength: 8192 }), Type.Number(), Type.Boolean()])
const ToolCall = Type.Object(
  {
    parameters: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.Record(Type.String(), Scalar)),
          query: Type.Optional(Type.Record(Type.String(), Type.Union([Scalar, Type.Array(Scalar, { maxItems: 100 })]))),
          header: Type.Optional(Type.Record(Type.String(), Scalar)),
        },
        { additionalProperties: false },
      ),
    ),
    body: Type.Optional(Type.Unknown({ description: 'Sent as JSON, or as text when a string and the operation takes a non-JSON body.' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_TOOL_TIMEOUT_MS, description: `At most (and by default) ${DEFAULT_TOOL_TIMEOUT_MS} ms.` })),
  },
  { additionalProperties: false },
)

const ToolCallResult = Type.Object({
  status: Type.Integer({ description: "The tool server's status." }),
  headers: Type.Object({ 'content-type': Type.Union([Type.String(), Type.Null()]) }),
  body: Type.Unknown({ description: 'Parsed when the answer is JSON, else its text.' }),
})

export type ToolItem = Static<typeof Tool>
export type ToolOperationItem = Static<typeof Operation>
export type ToolCreateBody = Static<typeof ToolCreate>
export type ToolCallBody = Static<typeof ToolCall>
export type ToolCallAnswer = Static<typeof ToolCallResult>

export function presentTool(row: Row<'tools'>): ToolItem {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    baseUrl: row.base_url,
    auth: row.auth,
    credentialHint: row.credential_hint,
    operations: listOperations(row.spec),
    ...timestamps(row),
  }
}

/** The auth as stored; VALIDATION_FAILED when a header or query auth lacks its name, or another kind has one. */
function toolAuth(auth: Static<typeof Auth>): ToolAuth {
  const fault = (message: string) => new StudioError('VALIDATION_FAILED', `auth ${auth.type}: ${message}`, { details: [{ path: '/auth/name', message }] })
  if (auth.type === 'none' || auth.type === 'bearer') {
    if (auth.name !== undefined) throw fault(`takes no name`)
    return { type: auth.type }
  }
  if (auth.name === undefined) throw fault(`needs the name of the ${auth.type === 'header' ? 'header' : 'query parameter'} the credential goes in`)
  if (auth.type === 'header' && !isCredentialHeader(auth.name)) throw fault('is not a header a credential may go in')
  return { type: auth.type, name: auth.name }
}

/** The base URL given, else the document's first server; VALIDATION_FAILED when neither is an absolute http(s) URL. */
function baseUrlOf(given: string | undefined, document: OpenApiDocument): string {
  const url = given ?? firstServerUrl(document)
  if (!url) throw new StudioError('VALIDATION_FAILED', "the document's first server is not an absolute http(s) URL: give baseUrl", { details: [{ path: '/baseUrl', message: 'is required when the document has no absolute http(s) server' }] })
  return url
}

function credentialColumns(credential: string | null, auth: ToolAuth, encrypt: (plain: string) => string) {
  if (credential !== null && auth.type === 'none') {
    throw new StudioError('VALIDATION_FAILED', 'a credential needs an auth type that says where it goes', { details: [{ path: '/credential', message: 'is not sent with auth none: set auth' }] })
  }
  return { credential_encrypted: credential === null ? null : encrypt(credential), credential_hint: credential === null ? null : secretHint(credential) }
}

/** Tools: CRUD, their operations, and executing one. */
export function registerToolRoutes(app: Api, ctx: StudioContext): void {
  const encrypt = (plain: string) => ctx.masterKey.encrypt(plain)
  registerResource(app, ctx, {
    table: 'tools',
    beforeDelete: (trx, row) => removeGrants(trx, 'tool', row.id),
    type: 'tool',
    label: 'tool',
    plural: 'tools',
    access: 'admin',
    schemas: { item: Tool, create: ToolCreate, update: ToolUpdate, filters: { q: TextQuery('slug or name') } },
    ...SLUG_NAMED_SORTS,
    filter: (query, { q }) => (q ? query.where(containsText(['slug', 'name'], q)) : query),
    present: async (rows) => rows.map(presentTool),
    secrets: ['credential'],
    insert: async (trx, body) => {
      const { document } = readOpenApiDocument(body.spec)
      const auth = toolAuth(body.auth ?? { type: 'none' })
      const id = randomUUID()
      await trx
        .insertInto('tools')
        .values({
          id,
          slug: body.slug,
          name: body.name ?? body.slug,
          description: body.description ?? '',
          base_url: baseUrlOf(body.baseUrl, document),
          spec: JSON.stringify(document),
          auth: JSON.stringify(auth),
          ...credentialColumns(body.credential ?? null, auth, encrypt),
        })
        .execute()
      return id
    },
    update: async (trx, row, patch) => {
      const document = patch.spec === undefined ? undefined : readOpenApiDocument(patch.spec).document
      const auth = patch.auth === undefined ? row.auth : toolAuth(patch.auth)
      // Switching to no auth drops the credential: it would go nowhere.
      const credential = auth.type === 'none' && patch.credential === undefined ? null : patch.credential
      await trx
        .updateTable('tools')
        .set({
          ...(patch.slug !== undefined && { slug: patch.slug }),
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(document !== undefined && { spec: JSON.stringify(document) }),
          ...(patch.baseUrl !== undefined && { base_url: patch.baseUrl }),
          ...(patch.auth !== undefined && { auth: JSON.stringify(auth) }),
          ...(credential !== undefined && credentialColumns(credential, auth, encrypt)),
        })
        .where('id', '=', row.id)
        .execute()
    },
  })

  const tags = ['tools']
  const config = { access: 'admin' as const }

  app.get(
    `${API_PREFIX}/tools/:id/operations`,
    { config, schema: { tags, summary: "List a tool's operations", params: IdParams, response: { 200: Type.Object({ items: Type.Array(Operation) }), ...errorResponses(401, 403, 404) } } },
    async (request) => ({ items: listOperations((await findRow(ctx.db, 'tools', request.params.id, 'tool')).spec) }),
  )

  app.post(
    `${API_PREFIX}/tools/:id/operations/:operationId/execute`,
    {
      config,
      schema: {
        tags,
        summary: "Call one of a tool's operations with its credential; answers the tool server's status, content type and body",
        params: Type.Object({ id: IdParams.properties.id, operationId: Type.String({ minLength: 1, maxLength: 256 }) }),
        body: ToolCall,
        response: { 200: ToolCallResult, ...errorResponses(401, 403, 404, 422, 502) },
      },
      // An operation without parameters may be called with no body at all.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const tool = toolFromRow(await findRow(ctx.db, 'tools', request.params.id, 'tool'), ctx.masterKey)
      // The caller going away abandons the call.
      const cancel = new AbortController()
      const onClose = () => {
        if (!reply.raw.writableFinished) cancel.abort()
      }
      reply.raw.once('close', onClose)
      try {
        return await executeOperation(tool, request.params.operationId, request.body, cancel.signal)
      } finally {
        reply.raw.off('close', onClose)
      }
    },
  )
}
