import { Type, type Static } from 'typebox'
import type { StudioContext } from '../api/context.js'
import { listPage, ListQuery, Page } from '../api/list.js'
import { errorResponses } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { TimeRangeQuery, timeRangeOf } from '../api/time-range.js'
import type { Row } from '../db/schema.js'

const Text = Type.String({ minLength: 1, maxLength: 256 })
const ActorType = Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('plugin'), Type.Literal('system')])

const AuditQuery = Type.Object(
  {
    ...ListQuery,
    ...TimeRangeQuery,
    actorType: Type.Optional(ActorType),
    actorId: Type.Optional(Text),
    objectType: Type.Optional(Type.String({ ...Text, description: 'llm, app, user, …' })),
    objectId: Type.Optional(Text),
    action: Type.Optional(Type.String({ ...Text, description: 'create, update, delete, or a verb like rotate_key.' })),
  },
  { additionalProperties: false },
)

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

const AuditEntry = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({ type: ActorType, id: Nullable(Type.String()), name: Type.String() }),
  action: Type.String(),
  objectType: Type.String(),
  objectId: Nullable(Type.String()),
  before: Type.Unknown({ description: 'The object before the write, in its public shape (secrets as hints); null for a create.' }),
  after: Type.Unknown({ description: 'The object after the write; null for a delete.' }),
  requestId: Nullable(Type.String()),
})

/** An entry of the audit log. */
export type AuditEntryItem = Static<typeof AuditEntry>
/** The query of `GET /audit`. */
export type AuditQueryItem = Static<typeof AuditQuery>

function presentEntry(row: Row<'audit_log'>): AuditEntryItem {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.request_id,
  }
}

/** The audit log: every write through the API (ctx.writes), newest first. */
export function registerAuditRoutes(app: Api, ctx: StudioContext): void {
  app.get(
    `${API_PREFIX}/audit`,
    { config: { access: 'admin' }, schema: { tags: ['audit'], summary: 'The audit log, newest first (keyset pages)', querystring: AuditQuery, response: { 200: Page(AuditEntry), ...errorResponses(401, 403, 422) } } },
    async (request) => {
      const query = request.query
      const { from, to } = timeRangeOf(query)
      let q = ctx.db.selectFrom('audit_log').selectAll()
      if (from) q = q.where('at', '>=', from)
      if (to) q = q.where('at', '<', to)
      if (query.actorType) q = q.where('actor_type', '=', query.actorType)
      if (query.actorId) q = q.where('actor_id', '=', query.actorId)
      if (query.objectType) q = q.where('object_type', '=', query.objectType)
      if (query.objectId) q = q.where('object_id', '=', query.objectId)
      if (query.action) q = q.where('action', '=', query.action)
      const page = await listPage(q, { sortable: { at: 'at' }, defaultSort: '-at', idColumn: 'id', query })
      return { items: page.items.map(presentEntry), nextCursor: page.nextCursor }
    },
  )
}
