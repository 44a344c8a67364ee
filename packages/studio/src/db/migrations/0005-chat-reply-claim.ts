import type { Kysely, Migration } from 'kysely'

/**
 * A conversation's reply claim: the time until which a reply streaming on
 * some Studio node holds it. In the database, so two nodes on one PostgreSQL
 * never stream two replies into one conversation; a claim whose node died
 * runs out by itself.
 */
export const chatReplyClaim: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('conversations').addColumn('replying_until', 'timestamptz').execute()
  },
}
