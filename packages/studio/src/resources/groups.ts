import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { Type, type Static } from 'typebox'
import { actorOf, principalOf } from '../api/auth.js'
import type { StudioContext } from '../api/context.js'
import { bumpVersion, errorResponses, etag, findRow, IdParams, registerResource, TextQuery, timestamps, Timestamps } from '../api/resource.js'
import { API_PREFIX, type Api } from '../api/server.js'
import { lockVersioned, parseIfMatch, type Trx } from '../api/writes.js'
import type { StudioDb } from '../db/database.js'
import type { GrantKind, Row } from '../db/schema.js'
import { containsText } from '../api/list.js'
import { resolveReferences, type ReferencedTable } from './references.js'

/** A group's members are presented with it, so their number is bounded. */
const MAX_MEMBERS = 1000
const MAX_GRANTS = 1000

const Name = Type.String({ minLength: 1, maxLength: 200 })
const Description = Type.String({ maxLength: 2000 })
const Refs = (what: string) => Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: MAX_GRANTS, uniqueItems: true, description: `${what}, by id or slug; presented as slugs.` })

const Grants = Type.Object({
  llms: Type.Array(Type.String()),
  tools: Type.Array(Type.String()),
  datasources: Type.Array(Type.String()),
})

export const Group = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  members: Type.Array(Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() })),
  grants: Type.Object(Grants.properties, { description: 'What the members may use, as slugs.' }),
  ...Timestamps,
})

const UserIds = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: MAX_MEMBERS, uniqueItems: true, description: 'The members, by user id.' })
const MembersBody = Type.Object({ userIds: UserIds }, { additionalProperties: false })
const GrantsBody = Type.Object(
  { llms: Type.Optional(Refs('LLMs')), tools: Type.Optional(Refs('Tools')), datasources: Type.Optional(Refs('Datasources')) },
  { additionalProperties: false, description: 'Replaces every grant of the group: a kind left out is granted nothing.' },
)
const GroupCreate = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    userIds: Type.Optional(UserIds),
    grants: Type.Optional(GrantsBody),
  },
  { additionalProperties: false, description: 'The group, with its members and grants if given, in one write.' },
)
const GroupUpdate = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 })

export type GroupItem = Static<typeof Group>
export type GroupCreateBody = Static<typeof GroupCreate>
export type GroupUpdateBody = Static<typeof GroupUpdate>
export type GroupGrantsBody = Static<typeof GrantsBody>

/** The table each grant kind points into, and its key in the body and the presented group. */
const GRANT_KINDS: { kind: GrantKind; table: Exclude<ReferencedTable, 'users'>; field: keyof Static<typeof Grants> }[] = [
  { kind: 'llm', table: 'llms', field: 'llms' },
  { kind: 'tool', table: 'tools', field: 'tools' },
  { kind: 'datasource', table: 'datasources', field: 'datasources' },
]

/** Makes `userIds` the group's members; an unknown user is REFERENCE_NOT_FOUND at `pointer`/i. */
async function replaceMembers(trx: Trx, groupId: string, refs: readonly string[], pointer: string): Promise<void> {
  const userIds = await resolveReferences(trx, 'users', refs, pointer)
  await trx.deleteFrom('group_members').where('group_id', '=', groupId).execute()
  if (userIds.length > 0) await trx.insertInto('group_members').values(userIds.map((user_id) => ({ group_id: groupId, user_id }))).execute()
}

/** Makes `grants` all the group grants (a kind left out: none); an unknown target is REFERENCE_NOT_FOUND under `pointer`. */
async function replaceGrants(trx: Trx, groupId: string, grants: Static<typeof GrantsBody>, pointer: string): Promise<void> {
  const rows: { group_id: string; kind: GrantKind; target_id: string }[] = []
  for (const { kind, table, field } of GRANT_KINDS) {
    for (const target_id of await resolveReferences(trx, table, grants[field] ?? [], `${pointer}/${field}`)) rows.push({ group_id: groupId, kind, target_id })
  }
  await trx.deleteFrom('group_grants').where('group_id', '=', groupId).execute()
  if (rows.length > 0) await trx.insertInto('group_grants').values(rows).execute()
}

/** Groups with their members and grants: two queries for the whole page. */
async function presentGroups(rows: Row<'groups'>[], db: StudioDb | Trx): Promise<GroupItem[]> {
  if (rows.length === 0) return []
  const ids = rows.map((row) => row.id)
  const members = await db
    .selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.user_id')
    .select(['group_members.group_id', 'users.id', 'users.email', 'users.name'])
    .where('group_members.group_id', 'in', ids)
    .orderBy('users.email')
    .execute()
  // A grant whose target was deleted meanwhile has no slug and is not shown.
  const grants = await db
    .selectFrom('group_grants as g')
    .leftJoin('llms', (join) => join.onRef('llms.id', '=', 'g.target_id').on('g.kind', '=', 'llm'))
    .leftJoin('tools', (join) => join.onRef('tools.id', '=', 'g.target_id').on('g.kind', '=', 'tool'))
    .leftJoin('datasources', (join) => join.onRef('datasources.id', '=', 'g.target_id').on('g.kind', '=', 'datasource'))
    .select(['g.group_id', 'g.kind', sql<string | null>`coalesce(llms.slug, tools.slug, datasources.slug)`.as('slug')])
    .where('g.group_id', 'in', ids)
    .orderBy('slug')
    .execute()
  return rows.map((row) => {
    const granted = { llms: [] as string[], tools: [] as string[], datasources: [] as string[] }
    for (const grant of grants) {
      if (grant.group_id === row.id && grant.slug !== null) granted[GRANT_KINDS.find((k) => k.kind === grant.kind)!.field].push(grant.slug)
    }
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      members: members.filter((m) => m.group_id === row.id).map(({ id, email, name }) => ({ id, email, name })),
      grants: granted,
      ...timestamps(row),
    }
  })
}

/** The names of the groups `userId` is a member of, read now (what portal pages and portal RPC are checked against). */
export async function groupNamesOf(db: StudioDb, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('group_members')
    .innerJoin('groups', 'groups.id', 'group_members.group_id')
    .select('groups.name')
    .where('group_members.user_id', '=', userId)
    .orderBy('groups.name')
    .execute()
  return rows.map((row) => row.name)
}

export function registerGroupRoutes(typed: Api, ctx: StudioContext): void {
  registerResource(typed, ctx, {
    table: 'groups',
    type: 'group',
    label: 'group',
    plural: 'groups',
    access: 'admin',
    schemas: { item: Group, create: GroupCreate, update: GroupUpdate, filters: { q: TextQuery('name') } },
    sortable: { name: 'name', createdAt: 'created_at' },
    defaultSort: 'name',
    filter: (query, { q }) => (q ? query.where(containsText(['name'], q)) : query),
    present: presentGroups,
    insert: async (trx, body) => {
      const id = randomUUID()
      await trx.insertInto('groups').values({ id, name: body.name, description: body.description ?? '' }).execute()
      if (body.userIds) await replaceMembers(trx, id, body.userIds, '/userIds')
      if (body.grants) await replaceGrants(trx, id, body.grants, '/grants')
      return id
    },
    update: async (trx, row, patch) => {
      await trx
        .updateTable('groups')
        .set({ ...(patch.name !== undefined && { name: patch.name }), ...(patch.description !== undefined && { description: patch.description }) })
        .where('id', '=', row.id)
        .execute()
    },
  })

  /** A write to one part of a group (members, grants): If-Match, version bump, audit with the group before and after. */
  const writeGroupPart = async (request: FastifyRequest, groupRef: string, action: string, apply: (trx: Trx, groupId: string) => Promise<void>) => {
    const expected = parseIfMatch(request.headers['if-match'])
    const found = await findRow(ctx.db, 'groups', groupRef, 'group')
    return ctx.writes.run({ actor: actorOf(principalOf(request)), action, type: 'group', requestId: request.id }, async (trx) => {
      const row = await lockVersioned(trx, 'groups', found.id, expected, 'group')
      const [before] = await presentGroups([row], trx)
      await apply(trx, row.id)
      await bumpVersion(trx, 'groups', row.id)
      const [after] = await presentGroups([await findRow(trx, 'groups', row.id, 'group')], trx)
      return { id: row.id, before, after, result: after! }
    })
  }
  const tags = ['groups']
  const responses = { 200: Group, ...errorResponses(400, 401, 403, 404, 412, 422) }

  typed.put(
    `${API_PREFIX}/groups/:id/members`,
    { config: { access: 'admin' }, schema: { tags, summary: "Replace a group's members (If-Match: its version)", params: IdParams, body: MembersBody, response: responses } },
    async (request, reply) => {
      const group = await writeGroupPart(request, request.params.id, 'set_members', (trx, groupId) => replaceMembers(trx, groupId, request.body.userIds, '/userIds'))
      return reply.header('etag', etag(group.version)).send(group)
    },
  )

  typed.put(
    `${API_PREFIX}/groups/:id/grants`,
    { config: { access: 'admin' }, schema: { tags, summary: "Replace what a group's members may use (If-Match: its version)", params: IdParams, body: GrantsBody, response: responses } },
    async (request, reply) => {
      const group = await writeGroupPart(request, request.params.id, 'set_grants', (trx, groupId) => replaceGrants(trx, groupId, request.body, ''))
      return reply.header('etag', etag(group.version)).send(group)
    },
  )
}

/** A deleted LLM, tool or datasource leaves no grant behind (grants name their target by id, without a foreign key). */
export async function removeGrants(trx: Trx, kind: GrantKind, targetId: string): Promise<void> {
  await trx.deleteFrom('group_grants').where('kind', '=', kind).where('target_id', '=', targetId).execute()
}
