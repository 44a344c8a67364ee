import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { listPage, type PageOf } from '../api/list.js'
import type { StudioDb } from '../db/database.js'
import type { ConversationTargetKind, Row } from '../db/schema.js'
import { notFound } from '../errors.js'
import type { ReplyPart } from './chat-events.js'

/** How much of the first message becomes a conversation's title when it was given none. */
const TITLE_CHARS = 80

export interface ChatTarget {
  kind: ConversationTargetKind
  /** The agent plugin's name or the LLM's slug. */
  name: string
}

export interface StoredMessage {
  id: string
  role: 'user' | 'assistant'
  content: string
  parts: ReplyPart[]
  createdAt: string
}

export function presentConversation(row: Row<'conversations'>) {
  return { id: row.id, title: row.title, target: { kind: row.target_kind, name: row.target_name }, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() }
}

function presentMessage(row: Row<'conversation_messages'>): StoredMessage {
  return { id: row.id, role: row.role, content: row.content, parts: row.parts as ReplyPart[], createdAt: row.created_at.toISOString() }
}

/**
 * Users' conversations and their messages in the database. Every read and
 * write is scoped to one user: another user's conversation reads as missing
 * (NOT_FOUND), never as forbidden, so its id tells nothing.
 */
export class ConversationStore {
  constructor(private readonly db: StudioDb) {}

  /** The user's conversations, the most recently active first. */
  async list(userId: string, query: { limit?: number | undefined; cursor?: string | undefined }): Promise<PageOf<ReturnType<typeof presentConversation>>> {
    const page = await listPage(this.db.selectFrom('conversations').selectAll().where('user_id', '=', userId), {
      sortable: { updatedAt: 'updated_at' },
      defaultSort: '-updatedAt',
      idColumn: 'id',
      query: { ...query, sort: '-updatedAt' },
    })
    return { items: page.items.map(presentConversation), nextCursor: page.nextCursor }
  }

  async create(userId: string, target: ChatTarget, title: string | undefined): Promise<Row<'conversations'>> {
    return this.db
      .insertInto('conversations')
      .values({ id: randomUUID(), user_id: userId, title: title ?? '', target_kind: target.kind, target_name: target.name })
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  async find(userId: string, id: string): Promise<Row<'conversations'>> {
    const row = await this.db.selectFrom('conversations').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
    if (!row) throw notFound('conversation', id)
    return row
  }

  /**
   * Claims the conversation for one reply for `holdMs` at most; false when a
   * reply on any Studio node holds it. One statement: of two concurrent
   * claims, PostgreSQL lets one through.
   */
  async claimReply(conversation: string, holdMs: number): Promise<boolean> {
    const claimed = await this.db
      .updateTable('conversations')
      .set({ replying_until: sql<Date>`now() + make_interval(secs => ${holdMs / 1000})` })
      .where('id', '=', conversation)
      .where((eb) => eb.or([eb('replying_until', 'is', null), eb('replying_until', '<=', sql<Date>`now()`)]))
      .returning('id')
      .executeTakeFirst()
    return claimed !== undefined
  }

  async releaseReply(conversation: string): Promise<void> {
    await this.db.updateTable('conversations').set({ replying_until: null }).where('id', '=', conversation).execute()
  }

  async count(userId: string): Promise<number> {
    const row = await this.db.selectFrom('conversations').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async messageCount(conversation: string): Promise<number> {
    const row = await this.db.selectFrom('conversation_messages').select((eb) => eb.fn.countAll<string>().as('n')).where('conversation', '=', conversation).executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /**
   * The latest messages whose content fits in `maxChars` in all, oldest
   * first: the history a reply is given, read without loading the rest.
   */
  async recentMessages(conversation: string, maxChars: number): Promise<StoredMessage[]> {
    const rows = await this.db
      .selectFrom((db) =>
        db
          .selectFrom('conversation_messages')
          .selectAll()
          .select(sql<string>`sum(length(content)) over (order by seq desc)`.as('running'))
          .where('conversation', '=', conversation)
          .as('latest'),
      )
      .selectAll()
      .where('running', '<=', String(maxChars))
      .orderBy('seq')
      .execute()
    return rows.map(({ running: _running, ...row }) => presentMessage(row))
  }

  async messages(conversation: string): Promise<StoredMessage[]> {
    const rows = await this.db.selectFrom('conversation_messages').selectAll().where('conversation', '=', conversation).orderBy('seq').execute()
    return rows.map(presentMessage)
  }

  async delete(userId: string, id: string): Promise<void> {
    const deleted = await this.db.deleteFrom('conversations').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
    if (deleted.numDeletedRows === 0n) throw notFound('conversation', id)
  }

  /** Adds a message and marks the conversation active; its first user message titles a conversation that has no title. */
  async append(conversation: string, message: { role: 'user' | 'assistant'; content: string; parts?: ReplyPart[] }): Promise<StoredMessage> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('conversation_messages')
        .values({ id: randomUUID(), conversation, role: message.role, content: message.content, parts: JSON.stringify(message.parts ?? []) })
        .returningAll()
        .executeTakeFirstOrThrow()
      const title = message.role === 'user' ? message.content.replace(/\s+/g, ' ').trim().slice(0, TITLE_CHARS) : ''
      await trx
        .updateTable('conversations')
        .set({ updated_at: sql<Date>`now()`, ...(title && { title: sql<string>`case when title = '' then ${title} else title end` }) })
        .where('id', '=', conversation)
        .execute()
      return presentMessage(row)
    })
  }
}
