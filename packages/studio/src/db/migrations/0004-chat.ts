import { sql, type Kysely, type Migration } from 'kysely'

const now = sql`now()`
/** Milliseconds, as a JS Date holds them: conversations are keyset-paged by `updated_at`, messages read in `seq` order. */
const pagedAt = sql`timestamptz(3)`

/**
 * Chat: a user's conversations with an agent plugin or an LLM, and their
 * messages. Stored by Studio, never by the browser: an agent is given the
 * history from here.
 */
export const chat: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('conversations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('target_kind', 'text', (c) => c.notNull().check(sql`target_kind in ('agent', 'llm')`))
      // A plugin name or an LLM slug: kept as a name, so a conversation outlives its target (it just cannot be continued).
      .addColumn('target_name', 'text', (c) => c.notNull())
      .addColumn('created_at', pagedAt, (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', pagedAt, (c) => c.notNull().defaultTo(now))
      .execute()
    await db.schema.createIndex('conversations_recent').on('conversations').columns(['user_id', 'updated_at desc', 'id desc']).execute()

    await db.schema
      .createTable('conversation_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // The order of a conversation: a reply that fails at once is stored within the millisecond of its question.
      .addColumn('seq', 'bigserial', (c) => c.notNull())
      .addColumn('conversation', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user', 'assistant')`))
      .addColumn('content', 'text', (c) => c.notNull())
      // Thinking, tool calls and their results, and the error that ended a reply, in the order they arrived.
      .addColumn('parts', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('created_at', pagedAt, (c) => c.notNull().defaultTo(now))
      .execute()
    await db.schema.createIndex('conversation_messages_order').on('conversation_messages').columns(['conversation', 'seq']).execute()
  },
}
